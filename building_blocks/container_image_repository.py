"""An ECR repository for one service's images: scanned on push, tags immutable, KMS-encrypted,
old images expired; its reference (URL and ARN) grants pulling and pushing."""
from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import (
    EcrRepository,
    EcrRepositoryEncryptionConfiguration,
    EcrRepositoryImageScanningConfiguration,
)
from constructs import Construct

from building_blocks.iam import Statement

PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
PUSH_ACTIONS = PULL_ACTIONS + ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
                               "ecr:PutImage"]


@dataclass(frozen=True)
class RepositoryReference:
    """What users of a repository need: where images are (`url`) and what IAM names (`arn`)."""

    url: str
    arn: str

    def image(self, tag: str) -> str:
        return f"{self.url}:{tag}"

    def grant_pull(self) -> list[Statement]:
        """Statements that let a role pull images of the repository (ECS execution roles)."""
        return [
            # GetAuthorizationToken has no resource-level permissions.
            Statement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            Statement(actions=PULL_ACTIONS, resources=[self.arn]),
        ]

    def grant_push(self) -> list[Statement]:
        """Statements that let a role push images to the repository (image builds)."""
        return [
            Statement(actions=["ecr:GetAuthorizationToken"], resources=["*"]),
            Statement(actions=PUSH_ACTIONS, resources=[self.arn]),
        ]


@dataclass(frozen=True)
class ContainerImageRepositoryProps:
    name: str                       # e.g. "app-dw/dev/lang-portal-api"
    kms_key_arn: str
    keep_images: int = 20           # the newest N images stay, older ones expire
    force_delete: bool = False      # never drop images with the repository by accident


class ContainerImageRepository(Construct):
    def __init__(self, scope: Construct, id: str, props: ContainerImageRepositoryProps):
        super().__init__(scope, id)
        self.repository = EcrRepository(
            self, "repository", name=props.name, force_delete=props.force_delete,
            # Immutable tags: a commit's image can never be replaced under the same tag, so what
            # a task definition names is what runs.
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=EcrRepositoryImageScanningConfiguration(scan_on_push=True),
            encryption_configuration=[EcrRepositoryEncryptionConfiguration(
                encryption_type="KMS", kms_key=props.kms_key_arn)])
        EcrLifecyclePolicy(self, "lifecycle", repository=self.repository.name, policy=json.dumps({"rules": [{
            "rulePriority": 1,
            "description": f"Keep the newest {props.keep_images} images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": props.keep_images},
            "action": {"type": "expire"},
        }]}))
        self.url = self.repository.repository_url
        self.arn = self.repository.arn
        self.reference = RepositoryReference(self.url, self.arn)
