"""A Cognito user pool with its hosted UI on a custom domain and one public OAuth client per
application: the one sign-in, and the one session, that every subdomain shares."""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cognito_user_pool import (
    CognitoUserPool,
    CognitoUserPoolAccountRecoverySetting,
    CognitoUserPoolAccountRecoverySettingRecoveryMechanism,
    CognitoUserPoolDeviceConfiguration,
    CognitoUserPoolPasswordPolicy,
    CognitoUserPoolSoftwareTokenMfaConfiguration,
    CognitoUserPoolUserAttributeUpdateSettings,
    CognitoUserPoolUsernameConfiguration,
    CognitoUserPoolUserPoolAddOns,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_client import (
    CognitoUserPoolClient,
    CognitoUserPoolClientTokenValidityUnits,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_domain import CognitoUserPoolDomain
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from constructs import Construct

from building_blocks.alarms import Metric


@dataclass(frozen=True)
class AppClientReference:
    """An app client of a user pool, with its sign-in metrics."""

    user_pool_id: str
    client_id: str

    def metric(self, name: str, stat: str, period: int, label: str | None = None) -> Metric:
        """AWS/Cognito, e.g. SignInSuccesses (SampleCount: attempts, Sum: successes)."""
        return Metric("AWS/Cognito", name, {"UserPool": self.user_pool_id, "UserPoolClient": self.client_id},
                      stat, period, label)


@dataclass(frozen=True)
class AppClientProps:
    name: str                # the application, e.g. "lang-portal"
    host: str                # where it is served, e.g. "lang-portal.app-dw.net"


@dataclass(frozen=True)
class UserPoolProps:
    name: str
    domain: str              # hosted UI, e.g. "auth.app-dw.net"
    certificate_arn: str     # ACM certificate in us-east-1 covering domain (Cognito serves it on CloudFront)
    hosted_zone_id: str      # the zone of domain, for its alias records
    clients: tuple[AppClientProps, ...] = ()
    advanced_security_mode: str = "AUDIT"
    deletion_protection: bool = True
    password_minimum_length: int = 12
    password_history_size: int = 5
    temporary_password_validity_days: int = 3
    access_token_validity_hours: int = 1
    id_token_validity_hours: int = 1
    refresh_token_validity_days: int = 30
    oauth_scopes: tuple[str, ...] = ("openid", "email", "profile")
    callback_path: str = "/auth/callback"
    logout_path: str = "/"


class UserPool(Construct):
    """Users sign in with their email address; MFA (authenticator app) is the user's choice.

    Every client is public (no secret) and uses the authorization-code grant, which the apps
    must run with PKCE: Cognito accepts a code without a verifier, so PKCE is the apps' duty.
    """

    def __init__(self, scope: Construct, id: str, props: UserPoolProps):
        super().__init__(scope, id)
        self.pool = CognitoUserPool(
            self, "pool", name=props.name,
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            username_configuration=CognitoUserPoolUsernameConfiguration(case_sensitive=False),
            # A changed email stays unused until verified: no account takeover by a typo.
            user_attribute_update_settings=CognitoUserPoolUserAttributeUpdateSettings(
                attributes_require_verification_before_update=["email"]),
            password_policy=CognitoUserPoolPasswordPolicy(
                minimum_length=props.password_minimum_length, require_lowercase=True, require_uppercase=True,
                require_numbers=True, require_symbols=True, password_history_size=props.password_history_size,
                temporary_password_validity_days=props.temporary_password_validity_days),
            mfa_configuration="OPTIONAL",
            software_token_mfa_configuration=CognitoUserPoolSoftwareTokenMfaConfiguration(enabled=True),
            # Threat protection (advanced security) is a Plus-tier feature.
            user_pool_tier="ESSENTIALS" if props.advanced_security_mode == "OFF" else "PLUS",
            user_pool_add_ons=CognitoUserPoolUserPoolAddOns(advanced_security_mode=props.advanced_security_mode),
            # Remembered devices skip the MFA challenge; every device is remembered, no prompt.
            device_configuration=CognitoUserPoolDeviceConfiguration(
                challenge_required_on_new_device=True, device_only_remembered_on_user_prompt=False),
            account_recovery_setting=CognitoUserPoolAccountRecoverySetting(recovery_mechanism=[
                CognitoUserPoolAccountRecoverySettingRecoveryMechanism(name="verified_email", priority=1)]),
            deletion_protection="ACTIVE" if props.deletion_protection else "INACTIVE")
        self.id = self.pool.id
        self.arn = self.pool.arn
        # endpoint is "cognito-idp.<region>.amazonaws.com/<pool id>": the tokens' issuer.
        self.issuer = f"https://{self.pool.endpoint}"
        self.jwks_url = f"{self.issuer}/.well-known/jwks.json"
        self.provider_name = self.pool.endpoint

        # The classic hosted UI (1): managed login (2) needs a branding style per client, which
        # provider 5.100 cannot create. Cognito also needs an A record on the parent domain.
        self.domain = CognitoUserPoolDomain(
            self, "domain", domain=props.domain, certificate_arn=props.certificate_arn, user_pool_id=self.pool.id,
            managed_login_version=1)
        for record_type in ("A", "AAAA"):
            Route53Record(
                self, f"domain-{record_type.lower()}", zone_id=props.hosted_zone_id, name=props.domain,
                type=record_type, alias=Route53RecordAlias(
                    name=self.domain.cloudfront_distribution,
                    zone_id=self.domain.cloudfront_distribution_zone_id,  # CloudFront's zone, Z2FDTNDATAQYW2
                    evaluate_target_health=False))

        self.clients: dict[str, CognitoUserPoolClient] = {}
        for client in props.clients:
            self.clients[client.name] = CognitoUserPoolClient(
                self, f"client-{client.name}", name=client.name, user_pool_id=self.pool.id,
                generate_secret=False,
                supported_identity_providers=["COGNITO"],
                allowed_oauth_flows_user_pool_client=True,
                allowed_oauth_flows=["code"],
                allowed_oauth_scopes=list(props.oauth_scopes),
                callback_urls=[f"https://{client.host}{props.callback_path}"],
                default_redirect_uri=f"https://{client.host}{props.callback_path}",
                logout_urls=[f"https://{client.host}{props.logout_path}"],
                # Sign-in only through the hosted UI (that is what shares the session); the
                # apps themselves only refresh tokens.
                explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
                access_token_validity=props.access_token_validity_hours,
                id_token_validity=props.id_token_validity_hours,
                refresh_token_validity=props.refresh_token_validity_days,
                token_validity_units=[CognitoUserPoolClientTokenValidityUnits(
                    access_token="hours", id_token="hours", refresh_token="days")],
                enable_token_revocation=True,
                prevent_user_existence_errors="ENABLED")
        self.client_references = {name: AppClientReference(self.id, client.id) for name, client in self.clients.items()}
