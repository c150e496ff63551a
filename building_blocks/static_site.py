"""A single-page app on S3 behind CloudFront on its own host name.

The bucket is private and encrypted with a key of its own; only this distribution reads it
(origin access control). Client-side routes are answered with `index.html` by a viewer-request
function on the site behaviour alone, not by distribution-wide custom error responses, which
would also turn the API's real 403/404 answers into `200 index.html`. Optional behaviours send
`/api/*` to a load balancer (nothing cached, every header, cookie and query string passed on, plus
an optional secret header the load balancer requires), and a media prefix to the site's own
media bucket (what its API writes), read by this distribution alone.
"""
from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudfront_distribution import (
    CloudfrontDistribution,
    CloudfrontDistributionDefaultCacheBehavior,
    CloudfrontDistributionDefaultCacheBehaviorFunctionAssociation,
    CloudfrontDistributionOrderedCacheBehavior,
    CloudfrontDistributionOrigin,
    CloudfrontDistributionOriginCustomHeader,
    CloudfrontDistributionOriginCustomOriginConfig,
    CloudfrontDistributionRestrictions,
    CloudfrontDistributionRestrictionsGeoRestriction,
    CloudfrontDistributionViewerCertificate,
)
from cdktf_cdktf_provider_aws.cloudfront_function import CloudfrontFunction
from cdktf_cdktf_provider_aws.cloudfront_origin_access_control import CloudfrontOriginAccessControl
from cdktf_cdktf_provider_aws.cloudfront_response_headers_policy import (
    CloudfrontResponseHeadersPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfig,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy,
    CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_delivery import CloudwatchLogDelivery
from cdktf_cdktf_provider_aws.cloudwatch_log_delivery_destination import (
    CloudwatchLogDeliveryDestination,
    CloudwatchLogDeliveryDestinationDeliveryDestinationConfiguration,
)
from cdktf_cdktf_provider_aws.cloudwatch_log_delivery_source import CloudwatchLogDeliverySource
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from constructs import Construct

from building_blocks.encryption_key import EncryptionKey, EncryptionKeyProps, ServiceUse
from building_blocks.iam import Statement
from building_blocks.secure_bucket import SecureBucket, SecureBucketProps

SITE_ORIGIN = "site"
API_ORIGIN = "api"
MEDIA_ORIGIN = "media"
READ_METHODS = ["GET", "HEAD", "OPTIONS"]
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
CACHED_METHODS = ["GET", "HEAD"]
# AWS managed CloudFront policies by the IDs AWS documents for them (fixed in every account):
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
# and .../using-managed-origin-request-policies.html. Naming them saves a lookup per plan.
CACHING_OPTIMIZED_POLICY_ID = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED_POLICY_ID = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_ORIGIN_REQUEST_POLICY_ID = "216adef6-5c7f-47e4-b989-5492eafa07d3"
# Paths whose last segment has no dot are client-side routes of the app: serve its shell.
SPA_ROUTING_CODE = """function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""


@dataclass(frozen=True)
class MediaBucket:
    """A second bucket of the site for what its API writes (pictures, audio), served under
    `path_prefix` through the same origin access control, encrypted with the site's key."""

    name: str
    path_prefix: str                    # e.g. "haiku/": objects under it are served as /haiku/*


@dataclass(frozen=True)
class StaticSiteProps:
    bucket_name: str
    region: str
    domain_name: str                    # e.g. "lang-portal.app-dw.net"
    certificate_arn: str                # ACM, us-east-1, covering domain_name
    hosted_zone_id: str
    web_acl_arn: str                    # WAF web ACL of CLOUDFRONT scope
    log_bucket_name: str                # S3 server access logs of the site bucket
    log_bucket_arn: str                 # CloudFront access logs (standard logging v2)
    log_prefix: str                     # e.g. "cloudfront/lang-portal"
    content_security_policy: str
    api_origin_domain_name: str | None = None   # load balancer serving /api/*
    api_path_pattern: str = "/api/*"
    # (name, value) sent with every request to the load balancer: a secret it requires, so
    # clients cannot skip this distribution (and its web ACL) by calling it directly.
    api_origin_header: tuple[str, str] | None = None
    media: MediaBucket | None = None
    access_log_prefix: str = "s3/"      # S3 server access logs of the site bucket go under <prefix><bucket>/
    price_class: str = "PriceClass_100"
    hsts_max_age_seconds: int = 63072000  # two years
    log_format: str = "json"
    security_headers: bool = True       # a response headers policy on every behaviour (HSTS, CSP, ...)
    publish_functions: bool = True      # publish the routing function (unpublished ones are never run)


class StaticSite(Construct):
    def __init__(self, scope: Construct, id: str, props: StaticSiteProps):
        super().__init__(scope, id)
        account = DataAwsCallerIdentity(self, "account").account_id
        region_domain = f"{props.bucket_name}.s3.{props.region}.amazonaws.com"
        s3_access = CloudfrontOriginAccessControl(
            self, "origin-access", name=props.bucket_name, origin_access_control_origin_type="s3",
            signing_behavior="always", signing_protocol="sigv4",
            description=f"CloudFront reads {props.domain_name} objects from S3")
        headers_policy_id = self._security_headers(props).id if props.security_headers else None
        spa_routing = CloudfrontFunction(
            self, "spa-routing", name=f"{props.bucket_name}-spa-routing", runtime="cloudfront-js-2.0",
            publish=props.publish_functions, code=SPA_ROUTING_CODE, comment="Serve index.html for client-side routes")

        origins = [CloudfrontDistributionOrigin(
            origin_id=SITE_ORIGIN, domain_name=region_domain, origin_access_control_id=s3_access.id)]
        behaviours = []
        if props.api_origin_domain_name:
            origins.append(CloudfrontDistributionOrigin(
                origin_id=API_ORIGIN, domain_name=props.api_origin_domain_name,
                custom_header=([CloudfrontDistributionOriginCustomHeader(
                    name=props.api_origin_header[0], value=props.api_origin_header[1])]
                    if props.api_origin_header else None),
                custom_origin_config=CloudfrontDistributionOriginCustomOriginConfig(
                    http_port=80, https_port=443, origin_protocol_policy="https-only",
                    origin_ssl_protocols=["TLSv1.2"])))
            behaviours.append(CloudfrontDistributionOrderedCacheBehavior(
                path_pattern=props.api_path_pattern, target_origin_id=API_ORIGIN,
                # https-only: a redirect would drop the body of a POST.
                viewer_protocol_policy="https-only", allowed_methods=ALL_METHODS, cached_methods=CACHED_METHODS,
                cache_policy_id=CACHING_DISABLED_POLICY_ID, origin_request_policy_id=ALL_VIEWER_ORIGIN_REQUEST_POLICY_ID,
                response_headers_policy_id=headers_policy_id, compress=True))
        if props.media:
            origins.append(CloudfrontDistributionOrigin(
                origin_id=MEDIA_ORIGIN, domain_name=f"{props.media.name}.s3.{props.region}.amazonaws.com",
                origin_access_control_id=s3_access.id))
            behaviours.append(CloudfrontDistributionOrderedCacheBehavior(
                path_pattern=f"{props.media.path_prefix}*", target_origin_id=MEDIA_ORIGIN,
                viewer_protocol_policy="redirect-to-https", allowed_methods=READ_METHODS,
                cached_methods=CACHED_METHODS, cache_policy_id=CACHING_OPTIMIZED_POLICY_ID,
                response_headers_policy_id=headers_policy_id, compress=True))

        self.distribution = CloudfrontDistribution(
            self, "distribution", enabled=True, is_ipv6_enabled=True, http_version="http2and3",
            comment=props.domain_name, aliases=[props.domain_name], price_class=props.price_class,
            default_root_object="index.html", web_acl_id=props.web_acl_arn, origin=origins,
            default_cache_behavior=CloudfrontDistributionDefaultCacheBehavior(
                target_origin_id=SITE_ORIGIN, viewer_protocol_policy="redirect-to-https",
                allowed_methods=READ_METHODS, cached_methods=CACHED_METHODS,
                cache_policy_id=CACHING_OPTIMIZED_POLICY_ID, response_headers_policy_id=headers_policy_id, compress=True,
                function_association=[CloudfrontDistributionDefaultCacheBehaviorFunctionAssociation(
                    event_type="viewer-request", function_arn=spa_routing.arn)]),
            ordered_cache_behavior=behaviours,
            restrictions=CloudfrontDistributionRestrictions(
                geo_restriction=CloudfrontDistributionRestrictionsGeoRestriction(restriction_type="none")),
            viewer_certificate=CloudfrontDistributionViewerCertificate(
                acm_certificate_arn=props.certificate_arn, ssl_support_method="sni-only",
                minimum_protocol_version="TLSv1.2_2021"))
        distribution_arn = self.distribution.arn
        only_this_distribution = {"StringEquals": {"AWS:SourceArn": distribution_arn}}

        # The buckets' domains are known from their names, so the distribution exists before the
        # buckets, whose key and policies name the distribution.
        self.key = EncryptionKey(self, "key", EncryptionKeyProps(
            alias=props.bucket_name, account_id=account, description=f"Encrypts the files of {props.domain_name}",
            services=[ServiceUse("cloudfront.amazonaws.com", conditions=only_this_distribution,
                                 actions=("kms:Decrypt",))]))
        bucket_arn = f"arn:aws:s3:::{props.bucket_name}"
        self.bucket = SecureBucket(self, "bucket", SecureBucketProps(
            name=props.bucket_name, kms_key_arn=self.key.arn, access_log_bucket=props.log_bucket_name,
            access_log_prefix=f"{props.access_log_prefix}{props.bucket_name}/",
            policy_statements=[Statement(
                sid="CloudFrontReadsSite", actions=["s3:GetObject"], principals={"Service": "cloudfront.amazonaws.com"},
                resources=[f"{bucket_arn}/*"], conditions=only_this_distribution)]))

        self.media_bucket = self._media_bucket(props, only_this_distribution) if props.media else None
        self._access_logs(props)
        for record_type in ("A", "AAAA"):
            Route53Record(self, f"alias-{record_type.lower()}", zone_id=props.hosted_zone_id,
                          name=props.domain_name, type=record_type,
                          alias=Route53RecordAlias(name=self.distribution.domain_name,
                                                   zone_id=self.distribution.hosted_zone_id,
                                                   evaluate_target_health=False))
        self.bucket_name = self.bucket.name
        self.bucket_arn = self.bucket.arn
        self.distribution_id = self.distribution.id
        self.distribution_arn = distribution_arn
        self.domain_name = self.distribution.domain_name
        self.reference = SiteReference(self.bucket_name, self.bucket_arn, self.key.arn, self.distribution_id,
                                       distribution_arn)

    def _media_bucket(self, props: StaticSiteProps, only_this_distribution: dict) -> SecureBucket:
        """Read by this distribution only, under its path prefix; the site's key encrypts it."""
        media = props.media
        return SecureBucket(self, "media", SecureBucketProps(
            name=media.name, kms_key_arn=self.key.arn, access_log_bucket=props.log_bucket_name,
            access_log_prefix=f"{props.access_log_prefix}{media.name}/",
            policy_statements=[Statement(
                sid="CloudFrontReadsMedia", actions=["s3:GetObject"], principals={"Service": "cloudfront.amazonaws.com"},
                resources=[f"arn:aws:s3:::{media.name}/{media.path_prefix}*"], conditions=only_this_distribution)]))

    def _security_headers(self, props: StaticSiteProps) -> CloudfrontResponseHeadersPolicy:
        config = CloudfrontResponseHeadersPolicySecurityHeadersConfig
        return CloudfrontResponseHeadersPolicy(
            self, "security-headers", name=f"{props.bucket_name}-security-headers",
            comment=f"Security headers of {props.domain_name}",
            security_headers_config=config(
                strict_transport_security=CloudfrontResponseHeadersPolicySecurityHeadersConfigStrictTransportSecurity(
                    access_control_max_age_sec=props.hsts_max_age_seconds, include_subdomains=True, preload=True,
                    override=True),
                content_security_policy=CloudfrontResponseHeadersPolicySecurityHeadersConfigContentSecurityPolicy(
                    content_security_policy=props.content_security_policy, override=True),
                content_type_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigContentTypeOptions(
                    override=True),
                frame_options=CloudfrontResponseHeadersPolicySecurityHeadersConfigFrameOptions(
                    frame_option="DENY", override=True),
                referrer_policy=CloudfrontResponseHeadersPolicySecurityHeadersConfigReferrerPolicy(
                    referrer_policy="strict-origin-when-cross-origin", override=True)))

    def _access_logs(self, props: StaticSiteProps) -> None:
        """Standard logging v2 (vended logs): the legacy logging needs bucket ACLs, which the
        platform's buckets turn off."""
        source = CloudwatchLogDeliverySource(
            self, "log-source", name=f"{props.bucket_name}-access", log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn)
        destination = CloudwatchLogDeliveryDestination(
            self, "log-destination", name=f"{props.bucket_name}-access-logs", output_format=props.log_format,
            delivery_destination_configuration=[CloudwatchLogDeliveryDestinationDeliveryDestinationConfiguration(
                destination_resource_arn=f"{props.log_bucket_arn}/{props.log_prefix}")])
        CloudwatchLogDelivery(self, "log-delivery", delivery_source_name=source.name,
                              delivery_destination_arn=destination.arn)


@dataclass(frozen=True)
class SiteReference:
    """What a deploy of the site needs: its bucket and key, and its distribution."""

    bucket_name: str
    bucket_arn: str
    key_arn: str
    distribution_id: str
    distribution_arn: str

    def grant_publish(self) -> list[Statement]:
        """Statements for a role that uploads a build of the site and invalidates the cache."""
        return [
            Statement(sid="ListSite", actions=["s3:ListBucket"], resources=[self.bucket_arn]),
            Statement(sid="WriteSite", actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                      resources=[f"{self.bucket_arn}/*"]),
            Statement(sid="EncryptSite", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key_arn]),
            Statement(sid="InvalidateCache", actions=["cloudfront:CreateInvalidation"],
                      resources=[self.distribution_arn]),
        ]
