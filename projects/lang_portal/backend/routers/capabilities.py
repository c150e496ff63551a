"""Which optional features this deployment offers. The SPA asks once and shows learners what they can use;
the operator's side (which settings are missing) is in the startup log and the health answer."""
from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request

from modules.aws import AwsClients, AwsFeatureDisabled, Bedrock, MediaStore, Speech, unset_settings
from projects.lang_portal.backend.deps import Caller
from projects.lang_portal.backend.schemas import Capabilities

router = APIRouter(prefix="/api", tags=["capabilities"])

# feature: (its name in messages, the settings it needs: those of every AWS helper it uses)
FEATURES: dict[str, tuple[str, Callable[[AwsClients], dict[str, object]]]] = {
    "word_audio": ("word audio", lambda clients: Speech(clients).needs() | MediaStore(clients).needs()),
    "word_picture": ("word pictures", lambda clients: Bedrock(clients).needs() | MediaStore(clients).needs()),
    "example_sentence": ("example sentences", lambda clients: Bedrock(clients).needs()),
}


def missing_settings(clients: AwsClients) -> dict[str, list[str]]:
    """Each feature with the environment variables it still needs (empty: available)."""
    return {feature: unset_settings(**needs(clients)) for feature, (_, needs) in FEATURES.items()}


def require_feature(clients: AwsClients, feature: str) -> None:
    """AwsFeatureDisabled (503 naming the settings) for a feature this deployment is not configured for."""
    missing = missing_settings(clients)[feature]
    if missing:
        raise AwsFeatureDisabled(FEATURES[feature][0], missing)


def feature_report(clients: AwsClients) -> dict[str, str]:
    """For operators (health answer, startup log): "available", or which settings turn a feature on."""
    return {feature: f"off: set {', '.join(missing)}" if missing else "available"
            for feature, missing in missing_settings(clients).items()}


@router.get("/capabilities", response_model=Capabilities)
async def capabilities(request: Request, _: Caller) -> dict:  # async: nothing to wait for
    """The optional features and whether each can be used here; no settings are named (that is for operators)."""
    return {"features": {feature: not missing
                         for feature, missing in missing_settings(request.app.state.aws_clients).items()}}
