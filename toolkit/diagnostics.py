"""Terraform's errors as messages that say what to do: a workspace applied before the one it
reads, a held state lock, a missing state bucket, missing AWS credentials. Unknown errors keep
Terraform's first lines without the SDK's request IDs. Used by plan, drift and e2e alike."""
from __future__ import annotations

import json
import re

from toolkit.state import remote_state_reads, state_object, workspace_of

ERROR_LINES = 3
# What the AWS SDK and the S3 backend say when they find no credentials, or only dead ones.
NO_CREDENTIALS = ("No valid credential sources found", "NoCredentialProviders", "failed to refresh cached credentials",
                  "get credentials: failed to refresh", "no EC2 IMDS role found")
EXPIRED_CREDENTIALS = ("ExpiredToken", "InvalidClientTokenId", "token has expired", "SSO session has expired")


def diagnostics(output: str) -> list[dict]:
    """Error diagnostics from Terraform's output: `-json` lines, else the text `Error:` blocks."""
    found = []
    for line in output.splitlines():
        if line.startswith("{"):
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if message.get("type") == "diagnostic" and message["diagnostic"].get("severity") == "error":
                found.append(message["diagnostic"])
    if found:
        return found
    blocks = re.split(r"^(?:│ )?Error: ", output, flags=re.MULTILINE)[1:]
    for block in blocks:
        lines = [line.removeprefix("│").strip() for line in block.splitlines()]
        address = next((m.group(1) for line in lines if (m := re.match(r"with (\S+),$", line))), "")
        detail = [line for line in lines[1:] if line and not line.startswith(("with ", "on ")) and not re.match(r"^\d+:", line)]
        found.append({"summary": lines[0], "detail": "\n".join(detail), "address": address})
    return found


def tidy(message: str) -> str:
    """An AWS SDK error without its request IDs: the words that say what went wrong."""
    message = re.sub(r"https response error StatusCode: \d+, RequestID: [^,]*, (HostID: [^,]*, )?", "", message)
    return re.sub(r"\s+", " ", message).strip()


def lock_holder(detail: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*(ID|Path|Operation|Who|Created):\s*(.*)$", detail, flags=re.MULTILINE))


def _one(workspace: str, diagnostic: dict, stack: dict) -> str:
    summary, detail = diagnostic.get("summary", ""), diagnostic.get("detail", "")
    address = diagnostic.get("address", "")
    text = f"{summary} {detail}"
    reads = remote_state_reads(stack)
    own = state_object(stack)
    if address in reads and ("Unable to find remote state" in text or "NoSuchKey" in text
                             or "No stored state was found" in text):
        source = reads[address]
        return (f"{workspace} reads the outputs of {workspace_of(source)}, which has no state yet ({source}): "
                f"apply {workspace_of(source)} first")
    if "Error acquiring the state lock" in summary:
        holder = lock_holder(detail)
        return (f"the state of {workspace} is locked by another run ({holder.get('Operation', '?')} by "
                f"{holder.get('Who', '?')} since {holder.get('Created', '?')}, lock ID {holder.get('ID', '?')}): "
                f"wait for it to finish (or retry with a lock timeout); if it died, "
                f"`terraform force-unlock {holder.get('ID', '<ID>')}`")
    if any(marker in text for marker in NO_CREDENTIALS):
        return ("no AWS credentials were found: set AWS_PROFILE (after `aws sso login` or `aws configure`), or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for the account the workspaces deploy to")
    if any(marker in text for marker in EXPIRED_CREDENTIALS):
        return "the AWS credentials were refused (expired or unknown): sign in again (`aws sso login`) and retry"
    if "NoSuchBucket" in text or re.search(r"bucket\b.*\bdoes not exist", text, flags=re.IGNORECASE):
        bucket = own.bucket if own else "holding the state"
        return f"the state bucket {bucket} does not exist: apply bootstrap first"
    first = " ".join(line.strip() for line in detail.splitlines()[:ERROR_LINES] if line.strip())
    return tidy(f"{summary}" + (f" [{address}]" if address else "") + (f": {first}" if first else ""))


def explain(workspace: str, output: str, stack: dict) -> str:
    """Terraform's errors as a message that says what to do; unknown errors as their first lines."""
    found = diagnostics(output)
    if not found:
        lines = [line for line in output.strip().splitlines() if line.strip()]
        return " / ".join(lines[-ERROR_LINES:]) or "failed without output"
    return "; ".join(dict.fromkeys(_one(workspace, diagnostic, stack) for diagnostic in found))
