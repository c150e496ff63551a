"""A public Route53 hosted zone that is DNSSEC-signed and logs its queries.

Signing starts with the zone; resolvers validate it once the parent zone holds the DS record
(added at the registrar, from `aws route53 get-dnssec --hosted-zone-id <id>`). Route53 needs
the key-signing key in us-east-1 and the query-log group in us-east-1: create this construct
under a provider of that region.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_log_resource_policy import CloudwatchLogResourcePolicy
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.route53_hosted_zone_dnssec import Route53HostedZoneDnssec
from cdktf_cdktf_provider_aws.route53_key_signing_key import Route53KeySigningKey
from cdktf_cdktf_provider_aws.route53_query_log import Route53QueryLog
from cdktf_cdktf_provider_aws.route53_zone import Route53Zone
from constructs import Construct

from building_blocks.iam import Statement, policy_document
from building_blocks.log_group import LogGroup, LogGroupProps

DNSSEC_SERVICE = "dnssec-route53.amazonaws.com"


@dataclass(frozen=True)
class PublicHostedZoneProps:
    domain: str
    resource_prefix: str            # keeps the key alias, log group and policy of environments apart
    query_log_retention_days: int
    query_log_kms_key_arn: str | None = None
    comment: str = "managed by cdktf"
    dnssec: bool = True             # sign the zone (a KMS key-signing key only Route 53 may use)


class PublicHostedZone(Construct):
    def __init__(self, scope: Construct, id: str, props: PublicHostedZoneProps):
        super().__init__(scope, id)
        self.zone = Route53Zone(self, "zone", name=props.domain, comment=props.comment)
        self.zone_id = self.zone.zone_id
        account = DataAwsCallerIdentity(self, "account").account_id
        from_this_account = {"StringEquals": {"aws:SourceAccount": account},
                             "ArnLike": {"aws:SourceArn": "arn:aws:route53:::hostedzone/*"}}

        if props.dnssec:
            self._sign_zone(props, account, from_this_account)

        log_group = LogGroup(self, "query-logs", LogGroupProps(
            name=f"/aws/route53/{props.resource_prefix}/{props.domain}", retention_days=props.query_log_retention_days,
            kms_key_arn=props.query_log_kms_key_arn))
        delivery = CloudwatchLogResourcePolicy(
            self, "query-log-delivery", policy_name=f"{props.resource_prefix}-route53-query-logs",
            policy_document=policy_document(Statement(
                sid="Route53QueryLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                principals={"Service": "route53.amazonaws.com"}, resources=[f"{log_group.arn}:*"],
                conditions=from_this_account)))
        Route53QueryLog(self, "query-log", zone_id=self.zone.zone_id, cloudwatch_log_group_arn=log_group.arn,
                        depends_on=[delivery])

    def _sign_zone(self, props: PublicHostedZoneProps, account: str, from_this_account: dict) -> None:
        # DNSSEC: an asymmetric signing key (such keys do not rotate; the KSK is replaced
        # by adding a second one) that only Route53's DNSSEC service may use.
        signing_key = KmsKey(
            self, "signing-key", description=f"DNSSEC key-signing key of {props.domain}",
            customer_master_key_spec="ECC_NIST_P256", key_usage="SIGN_VERIFY", deletion_window_in_days=30,
            policy=policy_document(
                Statement(sid="AccountAdministers", actions=["kms:*"], resources=["*"],
                          principals={"AWS": f"arn:aws:iam::{account}:root"}),
                Statement(sid="Route53DnssecSigns", actions=["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
                          resources=["*"], principals={"Service": DNSSEC_SERVICE}, conditions=from_this_account),
                Statement(sid="Route53DnssecGrants", actions=["kms:CreateGrant"], resources=["*"],
                          principals={"Service": DNSSEC_SERVICE},
                          conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}, **from_this_account})))
        KmsAlias(self, "signing-key-alias", name=f"alias/{props.resource_prefix}-dnssec", target_key_id=signing_key.key_id)
        key_signing_key = Route53KeySigningKey(
            self, "ksk", hosted_zone_id=self.zone.id, key_management_service_arn=signing_key.arn,
            name=re.sub(r"[^a-z0-9_]", "_", props.domain)[:128], status="ACTIVE")
        Route53HostedZoneDnssec(self, "dnssec", hosted_zone_id=key_signing_key.hosted_zone_id, signing_status="SIGNING")
