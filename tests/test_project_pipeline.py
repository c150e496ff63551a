"""Pipeline workspaces, as synthesized: exactly the spec's seven pipelines, each started only by
changes to its own component, building from the buildspec beside it, deploying and then
smoke-testing through the public host; a container component's tests run in its image's base with everything
they import pinned beside it. Also: a fifth project needs no code."""
from __future__ import annotations

import ast
import configparser
import copy
import fnmatch
import json
import re
import shlex
import subprocess
import tomllib

import pytest
import yaml

from tests.imports import locked, pinned, scan_imports, unpinned_requirements
from tests.tf import logical_id, only, policy, reference, resources, where
from toolkit.definition import DEFAULT_DEFINITION, REPO_ROOT, DefinitionError, Platform, load_platform, parse_definition

REMOTE = "${{data.terraform_remote_state.remote-{}.outputs.{}}}"
# Spec, CI/CD Pipeline Structure: the seven pipelines, mapped to this repository's folders.
PIPELINES = {
    ("lang-portal", "frontend"): "projects/lang_portal/frontend",
    ("lang-portal", "backend"): "projects/lang_portal/backend",
    ("haiku", "frontend"): "projects/haiku/frontend",
    ("haiku", "backend"): "projects/haiku/backend",
    ("vocab-generator", "frontend"): "projects/vocab_generator/frontend",
    ("vocab-generator", "backend"): "projects/vocab_generator/backend",
    ("writing-practice", "frontend"): "projects/writing_practice/frontend",
}
SPAS = {("lang-portal", "frontend"), ("haiku", "frontend")}
STATIC_SITES = {("lang-portal", "frontend"), ("haiku", "frontend")}
CONTAINERS = {  # component -> (service, container, smoke path)
    ("lang-portal", "backend"): ("lang-portal-api", "fastapi-app", "https://lang-portal.app-dw.net/api/health"),
    ("haiku", "backend"): ("haiku-api", "fastapi-app", "https://haiku.app-dw.net/api/health"),
    ("vocab-generator", "frontend"): ("vocab-generator-frontend", "streamlit-app", "https://vocab.app-dw.net/healthz"),
    # Reached only through Cloud Map: checked through the UI, whose health check calls it.
    ("vocab-generator", "backend"): ("vocab-generator-backend", "fastapi-app", "https://vocab.app-dw.net/healthz"),
    ("writing-practice", "frontend"): ("writing-practice", "gradio-app", "https://writing.app-dw.net/healthz"),
}


def pipeline(stacks, project: str, component: str) -> tuple[dict, dict]:
    stack = stacks[f"{project}-pipeline"]
    (body,) = where(stack, "aws_codepipeline", name=f"{project}-{component}-app-dw-dev")
    return stack, body


def stage(body: dict, name: str) -> list[dict]:
    (found,) = [s for s in body["stage"] if s["name"] == name]
    return found["action"]


def codebuild(stack: dict, action: dict) -> dict:
    return resources(stack, "aws_codebuild_project")[action["configuration"]["ProjectName"].split(".")[1]]


def variables(project: dict) -> dict[str, str]:
    return {v["name"]: v["value"] for v in project["environment"].get("environment_variable", [])}


def role_statements(stack: dict, role_arn: str) -> list[dict]:
    role_name = reference("aws_iam_role", role_arn.split(".")[1], "name")
    return [s for body in resources(stack, "aws_iam_role_policy").values() if body["role"] == role_name
            for s in policy(body)["Statement"]]


def test_exactly_the_spec_pipelines_exist(stacks, platform):
    found = {(p.name, c) for p in platform.projects for c in p.components}
    assert found == set(PIPELINES)
    for project in platform.projects:
        stack = stacks[f"{project.name}-pipeline"]
        names = sorted(b["name"] for b in resources(stack, "aws_codepipeline").values())
        assert names == sorted(f"{project.name}-{c}-app-dw-dev" for c in project.components)
        assert set(stack["output"]) == {f"pipeline_name_{c}" for c in project.components}


@pytest.mark.parametrize("project,component", PIPELINES)
def test_v2_pipeline_from_github_through_a_codestar_connection(stacks, project, component):
    stack, body = pipeline(stacks, project, component)
    assert body["pipeline_type"] == "V2"
    connection = only(stack, "aws_codestarconnections_connection")
    assert connection["provider_type"] == "GitHub"
    (source,) = stage(body, "Source")
    assert (source["owner"], source["provider"]) == ("AWS", "CodeStarSourceConnection")
    assert source["configuration"] == {
        "ConnectionArn": reference("aws_codestarconnections_connection",
                                   logical_id(stack, "aws_codestarconnections_connection", connection), "arn"),
        "FullRepositoryId": "app-dw/app-dw", "BranchName": "main", "OutputArtifactFormat": "CODE_ZIP",
        "DetectChanges": "false"}
    assert [s["name"] for s in body["stage"]] == ["Source", "Build", "Deploy", "Integration"]


@pytest.mark.parametrize("project,component", PIPELINES)
def test_trigger_is_a_push_to_main_under_the_component_folder(stacks, project, component):
    _, body = pipeline(stacks, project, component)
    (trigger,) = body["trigger"]
    assert trigger["provider_type"] == "CodeStarSourceConnection"
    assert trigger["git_configuration"]["source_action_name"] == "Source"
    (push,) = trigger["git_configuration"]["push"]
    assert push["branches"] == {"includes": ["main"]}
    expected = [f"{PIPELINES[(project, component)]}/**"]
    if (project, component) in CONTAINERS:
        expected.append("modules/**")  # the images copy the shared Python modules
    if (project, component) in STATIC_SITES:
        expected.append("projects/shared/spa/**")  # the SPAs compile the shared kit
    assert push["file_paths"] == {"includes": expected}


def test_a_change_in_the_shared_spa_kit_rebuilds_every_spa_and_nothing_else(stacks):
    started = {(project, component) for project, component in PIPELINES
               if any(fnmatch.fnmatch("projects/shared/spa/src/auth/session.ts", pattern) for pattern in
                      pipeline(stacks, project, component)[1]["trigger"][0]["git_configuration"]["push"][0][
                          "file_paths"]["includes"])}
    assert started == STATIC_SITES


@pytest.mark.parametrize("project,component", PIPELINES)
def test_a_change_in_one_component_starts_only_its_own_pipeline(stacks, project, component):
    _, body = pipeline(stacks, project, component)
    includes = body["trigger"][0]["git_configuration"]["push"][0]["file_paths"]["includes"]

    def starts(path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) for pattern in includes)

    for other, folder in PIPELINES.items():
        changed = f"{folder}/src/app.py"
        assert starts(changed) == (other == (project, component)), f"{changed} vs {includes}"
    assert not starts("workspaces/project.py") and not starts("docs/projects.md")


@pytest.mark.parametrize("project,component", PIPELINES)
def test_build_runs_the_buildspec_beside_the_component(stacks, project, component):
    stack, body = pipeline(stacks, project, component)
    (build,) = stage(body, "Build")
    assert build["input_artifacts"] == ["source"] and build["output_artifacts"] == ["build"]
    project_body = codebuild(stack, build)
    folder = PIPELINES[(project, component)]
    assert project_body["source"] == {"type": "CODEPIPELINE", "buildspec": f"{folder}/buildspec.yml"}
    assert project_body["encryption_key"] == REMOTE.format("storage", "kms_key_arn_artifacts")
    assert project_body["environment"]["privileged_mode"] is ((project, component) in CONTAINERS)
    logs = project_body["logs_config"]["cloudwatch_logs"]
    assert logs["status"] == "ENABLED"
    (group,) = where(stack, "aws_cloudwatch_log_group", name=f"/aws/codebuild/{project}-{component}-app-dw-dev")
    assert logs["group_name"] == reference("aws_cloudwatch_log_group",
                                           logical_id(stack, "aws_cloudwatch_log_group", group), "name")
    assert group["retention_in_days"] == 7
    assert group["kms_key_id"] == REMOTE.format("storage", "kms_key_arn_logs")


@pytest.mark.parametrize("project,component", sorted(CONTAINERS))
def test_container_build_tests_then_pushes_the_commit_image(stacks, project, component, tmp_path):
    stack, body = pipeline(stacks, project, component)
    service, container, _ = CONTAINERS[(project, component)]
    build = codebuild(stack, stage(body, "Build")[0])
    # A service with a database also runs its image in the owner's migration container.
    names = [container, "migrate"] if project in ("lang-portal", "haiku") else [container]
    # ... and its tests run on a real PostgreSQL, which the test image installs.
    database = {"TEST_SYSTEM_PACKAGES": "postgresql"} if project in ("lang-portal", "haiku") else {}
    assert variables(build) == {
        "ECR_REPOSITORY_URL": REMOTE.format(f"{project}-backend", f"ecr_repository_url_{service.replace('-', '_')}"),
        "CONTAINER_NAMES": " ".join(names), **database}
    spec = yaml.safe_load((REPO_ROOT / build["source"]["buildspec"]).read_text())
    commands = [c for phase in spec["phases"].values() for c in phase.get("commands", [])]
    folder = PIPELINES[(project, component)]
    assert spec["env"]["variables"]["COMPONENT"] == folder
    test_at = commands.index(TEST_STEP)
    build_at = next(i for i, c in enumerate(commands) if c.startswith("docker build"))
    assert test_at < build_at
    # The image carries its commit, the traces' and metrics' service.version.
    assert commands[build_at] == ('docker build --file "$COMPONENT/Dockerfile" --build-arg SERVICE_VERSION="$IMAGE_TAG" '
                                  '--tag "$ECR_REPOSITORY_URL:$IMAGE_TAG" .')
    dockerfile = (REPO_ROOT / folder / "Dockerfile").read_text()
    assert 'ARG SERVICE_VERSION=""\nENV SERVICE_VERSION=${SERVICE_VERSION}' in dockerfile
    assert any(c.startswith("docker push") for c in commands)
    (definitions,) = [c for c in commands if "imagedefinitions.json" in c]
    subprocess.run(["bash", "-c", definitions], cwd=tmp_path, check=True, env={
        "PATH": "/usr/bin:/bin", "CONTAINER_NAMES": " ".join(names), "ECR_REPOSITORY_URL": "repo", "IMAGE_TAG": "abc"})
    assert json.loads((tmp_path / "imagedefinitions.json").read_text()) == [
        {"name": name, "imageUri": "repo:abc"} for name in names]
    assert spec["artifacts"]["files"] == ["imagedefinitions.json"]
    assert spec["env"]["exported-variables"] == ["IMAGE_TAG"]
    statements = role_statements(stack, build["service_role"])
    push = next(s for s in statements if "ecr:PutImage" in s["Action"])
    assert push["Resource"] == [REMOTE.format(f"{project}-backend", f"ecr_repository_arn_{service.replace('-', '_')}")]


@pytest.mark.parametrize("project,component", sorted(SPAS))
def test_spa_build_tests_then_builds(stacks, project, component):
    stack, body = pipeline(stacks, project, component)
    build = codebuild(stack, stage(body, "Build")[0])
    spec = yaml.safe_load((REPO_ROOT / build["source"]["buildspec"]).read_text())
    (command,) = spec["phases"]["build"]["commands"]
    assert command == 'cd "$COMPONENT" && npm ci && npm test && npm run build'
    assert spec["artifacts"]["base-directory"] == f"{PIPELINES[(project, component)]}/dist"


@pytest.mark.parametrize("project,component", sorted(CONTAINERS))
def test_containers_deploy_with_the_ecs_rolling_action(stacks, project, component):
    stack, body = pipeline(stacks, project, component)
    service, _, _ = CONTAINERS[(project, component)]
    (deploy,) = stage(body, "Deploy")
    assert (deploy["category"], deploy["provider"]) == ("Deploy", "ECS")
    assert deploy["name"] == f"Deploy-{service}"
    assert deploy["input_artifacts"] == ["build"]
    assert deploy["configuration"] == {
        "ClusterName": REMOTE.format("cluster", "ecs_cluster_name"),
        "ServiceName": REMOTE.format(f"{project}-{component}", f"ecs_service_name_{service.replace('-', '_')}"),
        "FileName": "imagedefinitions.json"}
    statements = role_statements(stack, body["role_arn"])
    pass_role = next(s for s in statements if s["Action"] == ["iam:PassRole"])
    assert [r.split(":role/")[1] for r in pass_role["Resource"]] == [
        f"app-dw-dev-{service}-execution", f"app-dw-dev-{service}-task"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    update = next(s for s in statements if "ecs:UpdateService" in s["Action"])
    assert update["Resource"][0].endswith(f"service/{REMOTE.format('cluster', 'ecs_cluster_name')}/"
                                          + REMOTE.format(f"{project}-{component}",
                                                          f"ecs_service_name_{service.replace('-', '_')}"))


@pytest.mark.parametrize("project,component", sorted(SPAS))
def test_spas_deploy_with_s3_sync_and_a_cloudfront_invalidation(stacks, project, component):
    stack, body = pipeline(stacks, project, component)
    (deploy,) = stage(body, "Deploy")
    assert deploy["provider"] == "CodeBuild" and deploy["input_artifacts"] == ["source", "build"]
    assert deploy["configuration"]["PrimarySource"] == "source"
    project_body = codebuild(stack, deploy)
    assert project_body["source"]["buildspec"] == f"{PIPELINES[(project, component)]}/buildspec-deploy.yml"
    assert project_body["environment"]["privileged_mode"] is False
    frontend = f"{project}-frontend"
    env = variables(project_body)
    assert env["SITE_BUCKET"] == REMOTE.format(frontend, "site_bucket_name")
    assert env["DISTRIBUTION_ID"] == REMOTE.format(frontend, "cloudfront_distribution_id")
    config = json.loads(env["SITE_CONFIG"])
    host = f"https://{project}.app-dw.net"
    assert config == {"apiBaseUrl": "/api", "cognito": {
        "domain": "https://auth.app-dw.net",
        "clientId": REMOTE.format("auth", f"app_client_id_{project.replace('-', '_')}"),
        "redirectUri": f"{host}/auth/callback", "logoutUri": f"{host}/", "scopes": ["openid", "email", "profile"]}}
    spec = yaml.safe_load((REPO_ROOT / project_body["source"]["buildspec"]).read_text())
    commands = spec["phases"]["build"]["commands"]
    assert any(c.startswith("aws s3 sync") and "--delete" in c for c in commands)
    assert commands[-1] == 'aws cloudfront create-invalidation --distribution-id "$DISTRIBUTION_ID" --paths "/*"'
    statements = role_statements(stack, project_body["service_role"])
    invalidate = next(s for s in statements if s["Action"] == ["cloudfront:CreateInvalidation"])
    assert invalidate["Resource"] == [REMOTE.format(frontend, "cloudfront_distribution_arn")]


@pytest.mark.parametrize("project,component", PIPELINES)
def test_integration_stage_smoke_tests_the_public_host_after_deploy(stacks, project, component):
    stack, body = pipeline(stacks, project, component)
    (smoke,) = stage(body, "Integration")
    assert (smoke["category"], smoke["provider"]) == ("Test", "CodeBuild")
    project_body = codebuild(stack, smoke)
    assert project_body["source"]["buildspec"] == f"{PIPELINES[(project, component)]}/buildspec-smoke.yml"
    expected = CONTAINERS[(project, component)][2] if (project, component) in CONTAINERS else \
        f"https://{project}.app-dw.net/"
    assert variables(project_body)["SMOKE_URL"] == expected
    spec = yaml.safe_load((REPO_ROOT / project_body["source"]["buildspec"]).read_text())
    assert spec["phases"]["build"]["commands"][0].startswith("curl --fail")
    if (project, component) in CONTAINERS:
        # A verified deploy records its tag for the next terraform apply.
        service = CONTAINERS[(project, component)][0]
        assert variables(project_body)["IMAGE_TAG_PARAMETER"] == f"/app-dw/dev/image-tag/{service}"
        assert json.loads(smoke["configuration"]["EnvironmentVariables"]) == [
            {"name": "IMAGE_TAG", "value": "#{BuildVariables.IMAGE_TAG}", "type": "PLAINTEXT"}]
        record = next(s for s in role_statements(stack, project_body["service_role"])
                      if s["Action"] == ["ssm:PutParameter"])
        assert record["Resource"][0].endswith(f":parameter/app-dw/dev/image-tag/{service}")


@pytest.mark.parametrize("project,component", PIPELINES)
def test_artifacts_live_in_the_artifact_bucket_under_the_artifacts_key(stacks, project, component):
    _, body = pipeline(stacks, project, component)
    assert body["artifact_store"] == [{
        "location": REMOTE.format("storage", "artifacts_bucket_name"), "type": "S3",
        "encryption_key": {"id": REMOTE.format("storage", "kms_key_arn_artifacts"), "type": "KMS"}}]


@pytest.mark.parametrize("project", ["lang-portal", "haiku", "vocab-generator", "writing-practice"])
def test_pipeline_and_codebuild_roles_are_scoped(stacks, project):
    stack = stacks[f"{project}-pipeline"]
    for role in resources(stack, "aws_iam_role").values():
        (trust,) = policy(role, "assume_role_policy")["Statement"]
        assert trust["Principal"]["Service"] in ("codepipeline.amazonaws.com", "codebuild.amazonaws.com")
    for body in resources(stack, "aws_iam_role_policy").values():
        for statement in policy(body)["Statement"]:
            assert not [a for a in statement["Action"] if a == "*" or a.endswith(":*")]
            if any(a.startswith("s3:") and "Object" in a for a in statement["Action"]):
                (resource,) = statement["Resource"]
                assert resource.startswith(REMOTE.format("storage", "artifacts_bucket_arn") + "/") \
                    or "site_bucket_arn" in resource


def artifact_scopes(stacks) -> dict[str, set[str]]:
    """{pipeline name: the artifact-bucket paths its roles (pipeline and CodeBuild) may touch}."""
    bucket = REMOTE.format("storage", "artifacts_bucket_arn") + "/"
    scopes: dict[str, set[str]] = {}
    for workspace, stack in stacks.items():
        if not workspace.endswith("-pipeline"):
            continue
        # Each ComponentPipeline's resources share the construct prefix "pipeline-<component>".
        names = {logical.split("_")[0]: body["name"] for logical, body in resources(stack, "aws_codepipeline").items()}
        for logical, body in resources(stack, "aws_iam_role_policy").items():
            scopes.setdefault(names[logical.split("_")[0]], set()).update(
                r for s in policy(body)["Statement"] for r in s["Resource"] if r.startswith(bucket))
    return scopes


def test_no_two_pipelines_share_an_artifact_folder_and_each_role_keeps_to_its_own(stacks):
    # CodePipeline keeps a pipeline's artifacts under the first 20 characters of its name.
    scopes = artifact_scopes(stacks)
    assert len(scopes) == len(PIPELINES)
    folders = {name: name[:20] for name in scopes}
    assert len(set(folders.values())) == len(folders), folders
    bucket = REMOTE.format("storage", "artifacts_bucket_arn") + "/"
    for name, paths in scopes.items():
        assert paths == {f"{bucket}{folders[name]}/*"}, name


def test_project_names_that_would_share_an_artifact_folder_are_refused():
    from workspaces.project import pipeline_names

    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    twin = copy.deepcopy(next(p for p in data["projects"] if p["name"] == "writing-practice"))
    twin.update(name="writing-practice-frontier", subdomain="writing2", security_group="writing-frontier-sg")
    twin["services"][0]["name"] = "writing-frontier"
    data["projects"].append(twin)
    with pytest.raises(DefinitionError, match="would share the artifact folder 'writing-practice-fro'"):
        pipeline_names(Platform(parse_definition(data), "dev"))


@pytest.mark.parametrize("folder", sorted(set(PIPELINES.values())))
def test_every_referenced_buildspec_exists_and_parses(folder, platform):
    names = ["buildspec.yml", "buildspec-smoke.yml"]
    if folder.endswith("frontend") and any(
            p.frontend == "static" and p.directory + "/frontend" == folder for p in platform.projects):
        names.append("buildspec-deploy.yml")
    for name in names:
        spec = yaml.safe_load((REPO_ROOT / folder / name).read_text())
        assert spec["version"] == 0.2 and spec["phases"]


def test_a_fifth_project_gets_its_workspaces_and_pipelines_with_no_code_change(tmp_path):
    from toolkit.synth import synthesize

    data = tomllib.loads(DEFAULT_DEFINITION.read_text())
    data = copy.deepcopy(data)
    data["projects"].append({
        "name": "kanji-quiz", "subdomain": "kanji", "security_group": "kanji-quiz-sg", "database": False,
        "media": False, "calls": ["lang-portal"], "frontend": "static",
        "services": [{"name": "kanji-quiz-api", "component": "backend", "container": "fastapi-app", "port": 8000,
                      "health_path": "/health", "routing": "api", "alb_health_path": "/api/health",
                      "secrets": ["LANG_PORTAL_API_KEY"], "aws_services": ["bedrock"]}]})
    platform = Platform(parse_definition(data), "dev")
    stacks = synthesize(platform, tmp_path, use_cache=False).stacks
    assert {"kanji-quiz-backend", "kanji-quiz-frontend", "kanji-quiz-pipeline"} <= set(stacks)
    pipelines = {b["name"]: b for b in resources(stacks["kanji-quiz-pipeline"], "aws_codepipeline").values()}
    assert sorted(pipelines) == ["kanji-quiz-backend-app-dw-dev", "kanji-quiz-frontend-app-dw-dev"]
    paths = pipelines["kanji-quiz-backend-app-dw-dev"]["trigger"][0]["git_configuration"]["push"][0]["file_paths"]
    assert paths == {"includes": ["projects/kanji_quiz/backend/**", "modules/**"]}
    (service,) = resources(stacks["kanji-quiz-backend"], "aws_ecs_service").values()
    assert service["name"] == "kanji-quiz-api"
    assert service["load_balancer"][0]["target_group_arn"] == REMOTE.format("edge", "target_group_arn_kanji_quiz_api")
    assert "target_group_arn_kanji_quiz_api" in stacks["edge"]["output"]
    assert only(stacks["kanji-quiz-frontend"], "aws_cloudfront_distribution")["aliases"] == ["kanji.app-dw.net"]



# The test step of every container component's build (scripts/component-tests.sh does the work).
TEST_STEP = ('docker run --rm --volume "$PWD:/src" --workdir /src --env COMPONENT --env TEST_SYSTEM_PACKAGES '
             '--env PYTHONDONTWRITEBYTECODE=1 "$TEST_IMAGE" bash scripts/component-tests.sh')
TEST_SCRIPT = REPO_ROOT / "scripts" / "component-tests.sh"
# Markers the test image cannot serve: e2e (the emulator run), browser (no Chromium), emulator (no moto_server).
NOT_IN_THE_TEST_IMAGE = ("e2e", "browser", "emulator")
BUILTIN_MARKERS = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}
PLUGIN_MARKERS = {"timeout": "pytest-timeout"}
CONTAINER_COMPONENTS = sorted(f"{project.directory}/{component}" for project in load_platform(environment="dev").projects
                              for component in project.components if project.services_of(component))
LOCK = locked(REPO_ROOT / "Pipfile.lock")


def test_the_container_components_are_the_spec_ones():
    assert CONTAINER_COMPONENTS == sorted(PIPELINES[key] for key in CONTAINERS)


def component_test_files(folder: str) -> list:
    """What `pytest <folder> modules` loads: the component's and modules/' files and the conftests above it."""
    component = REPO_ROOT / folder
    above = [parent / "conftest.py" for parent in component.parents if parent.is_relative_to(REPO_ROOT)]
    return [*component.rglob("*.py"), *(REPO_ROOT / "modules").rglob("*.py"), *(c for c in above if c.exists())]


@pytest.mark.parametrize("folder", CONTAINER_COMPONENTS)
def test_the_test_step_runs_the_shared_script_in_the_images_base(folder):
    spec = yaml.safe_load((REPO_ROOT / folder / "buildspec.yml").read_text())
    assert spec["phases"]["pre_build"]["commands"][0] == TEST_STEP
    [base] = re.findall(r"^FROM python:(3\.\d+)\.\d+-(slim-\w+)", (REPO_ROOT / folder / "Dockerfile").read_text(), re.M)
    assert spec["env"]["variables"]["TEST_IMAGE"] == f"public.ecr.aws/docker/library/python:{base[0]}-{base[1]}"


def test_the_script_installs_the_components_test_requirements_and_leaves_out_what_the_image_cannot_run():
    commands = [shlex.split(line) for line in TEST_SCRIPT.read_text().splitlines()
                if line.startswith(("pip ", "python "))]
    assert ["-r", "$COMPONENT/requirements-test.txt"] == commands[0][-2:]
    pytest_arguments = commands[1][commands[1].index("pytest"):]
    assert pytest_arguments[pytest_arguments.index("-m") + 1] == " and ".join(f"not {m}" for m in NOT_IN_THE_TEST_IMAGE)
    assert pytest_arguments[-2:] == ["$COMPONENT", "modules"]
    assert set(NOT_IN_THE_TEST_IMAGE) <= registered_markers()


def registered_markers() -> set[str]:
    ini = configparser.ConfigParser()
    ini.read(REPO_ROOT / "pytest.ini")
    return {line.split(":")[0].strip() for line in ini["pytest"]["markers"].strip().splitlines()}


@pytest.mark.parametrize("folder", CONTAINER_COMPONENTS)
def test_the_image_pins_what_the_components_code_imports(folder):
    component = REPO_ROOT / folder
    code = [path for path in component.rglob("*.py") if "tests" not in path.relative_to(component).parts]
    image = pinned(component / "requirements.txt")
    assert {name: sorted(files) for name, files in scan_imports(code).distributions.items() if name not in image} == {}
    assert unpinned_requirements(image, LOCK) == {}


@pytest.mark.parametrize("folder", CONTAINER_COMPONENTS)
def test_the_test_requirements_pin_what_the_tests_import(folder):
    """Every package the tests (and modules/' tests beside them) import, every package those need, the packages of
    each component whose code the tests run (the Lang Portal API the UI apps' tests call) and the pytest plugins of
    the markers they use: pinned, at Pipfile.lock's versions."""
    requirements = REPO_ROOT / folder / "requirements-test.txt"
    pins = pinned(requirements)
    assert {name: version for name, version in pins.items() if LOCK.get(name, ("",))[0] != version} == {}
    scan = scan_imports(component_test_files(folder))
    assert {name: sorted(files)[:3] for name, files in scan.distributions.items() if name not in pins} == {}
    assert unpinned_requirements(pins, LOCK) == {}
    for other in CONTAINER_COMPONENTS:
        if any(path.is_relative_to(REPO_ROOT / other) for path in scan.files):
            assert pinned(REPO_ROOT / other / "requirements.txt").items() <= pins.items(), other
    for marker in used_markers(scan.files) - registered_markers() - BUILTIN_MARKERS:
        assert PLUGIN_MARKERS.get(marker) in pins, f"pytest.mark.{marker}: no pinned plugin provides it"


def used_markers(files) -> set[str]:
    return {node.attr for path in files for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
            and node.value.attr == "mark" and isinstance(node.value.value, ast.Name) and node.value.value.id == "pytest"}


@pytest.mark.parametrize("folder", CONTAINER_COMPONENTS)
def test_the_components_browser_tests_are_marked(folder):
    for path in (REPO_ROOT / folder).rglob("test_*.py"):
        names = {node.id for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Name)}
        if "chromium" in names:
            assert "pytest.mark.browser" in path.read_text(), f"{path.relative_to(REPO_ROOT)} drives Chromium"
