"""auth workspace: the Cognito user pool every application signs in with, its hosted UI on
auth.<domain>, the identity pool, and the shared application secrets (docs/auth-and-database.md)."""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cognito_identity_pool import (
    CognitoIdentityPool,
    CognitoIdentityPoolCognitoIdentityProviders,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation

from building_blocks.load_balancer import SIGN_IN_CALLBACK_PATH
from building_blocks.secret import GeneratedValue, Secret, SecretProps
from building_blocks.user_pool import AppClientProps, GroupProps, UserPool, UserPoolProps
from workspaces.base import Workspace, output_key


@dataclass(frozen=True)
class SharedSecret:
    """A secret the applications read (the spec's task definitions), generated at apply time."""

    name: str
    output: str          # publishes its ARN, per docs/contract.md
    description: str


SHARED_SECRETS = (
    SharedSecret("lang-portal-api-key", "lang_portal_api_key_secret_arn",
                 "Service API key the Vocab Generator sends to the Lang Portal API (shared-vocabulary imports)"),
    SharedSecret("jwt-secret", "jwt_secret_arn", "Lang Portal's JWT_SECRET"),
)


class AuthWorkspace(Workspace):
    def __init__(self, scope, spec, platform):
        super().__init__(scope, spec, platform)
        auth = platform.auth
        self.user_pool = UserPool(self, "user-pool", UserPoolProps(
            name=self.name("users"),
            domain=platform.host(auth.auth_subdomain),
            certificate_arn=self.read("edge", "certificate_arn"),
            hosted_zone_id=self.read("edge", "hosted_zone_id"),
            # An SPA signs in itself (public client, PKCE); a UI service is signed in by the ALB, whose
            # client has a secret and receives the code at /oauth2/idpresponse.
            clients=tuple(AppClientProps(name=p.name, host=platform.host(p.subdomain), confidential=p.ui_frontend,
                                         callback_path=SIGN_IN_CALLBACK_PATH if p.ui_frontend else None)
                          for p in platform.projects),
            groups=(GroupProps(auth.staff_group, "The school's staff: curate the shared vocabulary (Vocab Generator)"),),
            advanced_security_mode=auth.advanced_security_mode,
            deletion_protection=platform.env.deletion_protection,
            password_minimum_length=auth.password_minimum_length,
            password_history_size=auth.password_history_size,
            temporary_password_validity_days=auth.temporary_password_validity_days,
            access_token_validity_hours=auth.access_token_validity_hours,
            id_token_validity_hours=auth.id_token_validity_hours,
            refresh_token_validity_days=auth.refresh_token_validity_days,
            oauth_scopes=tuple(auth.oauth_scopes),
            callback_path=auth.callback_path,
            logout_path=auth.logout_path))
        # Sign-in behind the WAF: the edge's regional ACL (managed rules, per-IP limits, a tighter
        # one on the sign-in paths). Audit-only threat protection blocks no credential stuffing.
        Wafv2WebAclAssociation(self, "user-pool-waf", resource_arn=self.user_pool.arn,
                               web_acl_arn=self.read("edge", "waf_web_acl_arn_regional"))
        # Federated AWS identities for signed-in users only; no role is attached until an
        # application needs AWS access from the browser.
        self.identity_pool = CognitoIdentityPool(
            self, "identity-pool", identity_pool_name=self.name("identities"),
            allow_unauthenticated_identities=False, allow_classic_flow=False,
            cognito_identity_providers=[
                CognitoIdentityPoolCognitoIdentityProviders(
                    client_id=client.id, provider_name=self.user_pool.provider_name, server_side_token_check=True)
                for client in self.user_pool.clients.values()])

        data_key = self.read("storage", "kms_key_arn_data")
        self.secrets = {
            shared.output: Secret(self, shared.name, SecretProps(
                name=f"{self.name()}/{shared.name}", description=shared.description, kms_key_arn=data_key,
                generate=GeneratedValue()))
            for shared in SHARED_SECRETS}
        self._publish()

    def _publish(self) -> None:
        pool = self.user_pool
        self.publish("user_pool_id", pool.id, "Cognito user pool id")
        self.publish("user_pool_arn", pool.arn, "Cognito user pool ARN")
        self.publish("user_pool_issuer", pool.issuer, "Issuer (iss) of the pool's tokens")
        self.publish("user_pool_jwks_url", pool.jwks_url, "Keys that verify the pool's token signatures")
        self.publish("hosted_ui_domain", pool.domain.domain, "Custom domain of the hosted UI")
        self.publish("identity_pool_id", self.identity_pool.id, "Cognito identity pool id")
        for project in self.platform.projects:
            kind = "the ALB's confidential OAuth client" if project.ui_frontend else "Public OAuth client"
            self.publish(output_key("app_client_id", project.name), pool.clients[project.name].id,
                         f"{kind} of {project.name}")
        self.publish("staff_group_name", pool.groups[self.platform.auth.staff_group].name,
                     "Cognito group of the staff (in cognito:groups of its members' tokens)")
        for output, secret in self.secrets.items():
            self.publish(output, secret.arn, "Secret ARN (the value never leaves Secrets Manager)")
