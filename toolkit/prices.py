"""The price table (`toolkit/prices.toml`) and `python -m toolkit prices [--refresh]`.

The table is data: us-east-1 on-demand prices, each with its unit, the date it was read, where
(a pricing page by hand, or an offer file of the AWS Price List API) and the pricing page to
check it against. `--refresh` reads the offer files of the Price List API's bulk interface
(`https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offer>/current/<region>/index.json`,
or saved copies given with --offer-file) and rewrites the price, date and source of every entry
whose `match` finds exactly one product there; the file's comments and layout stay as they are.
Entries the offer files do not hold (no `offer`) keep their hand-entered price.
"""
from __future__ import annotations

import json
import re
import sys
import tempfile
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.definition import REPO_ROOT
from toolkit.report import table

PRICES_FILE = REPO_ROOT / "toolkit" / "prices.toml"
OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}index.json"
GLOBAL_OFFERS = {"AmazonCloudFront", "AmazonRoute53"}   # offer files without regions


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    unit: str
    what: str
    as_of: str
    source: str
    page: str
    offer: str | None = None
    match: dict[str, str] = field(default_factory=dict)
    vcpu: int | None = None
    free_quantity: float = 0


def load_prices(path: Path = PRICES_FILE) -> dict[str, Price]:
    data = tomllib.loads(path.read_text())
    return {key: Price(key=key, **entry) for key, entry in data["prices"].items()}


def table_region(path: Path = PRICES_FILE) -> str:
    return tomllib.loads(path.read_text())["region"]


# ------------------------------------------------------------------------- offer files

@dataclass(frozen=True)
class Found:
    usd: float
    as_of: str
    source: str


def find_price(offer: dict, price: Price, region: str) -> Found | str:
    """The on-demand price of the one product of `offer` that `price.match` selects, or why not."""
    matching = []
    for sku, product in offer.get("products", {}).items():
        attributes = {**product.get("attributes", {}), "productFamily": product.get("productFamily", "")}
        if attributes.get("regionCode", region) != region:
            continue
        if all(attributes.get(name) == value for name, value in price.match.items()):
            matching.append(sku)
    if len(matching) != 1:
        return f"{len(matching)} products of {offer.get('offerCode', '?')} match {price.match}"
    terms = offer.get("terms", {}).get("OnDemand", {}).get(matching[0], {})
    dimensions = [d for term in terms.values() for d in term.get("priceDimensions", {}).values()]
    first_tier = [d for d in dimensions if str(d.get("beginRange", "0")) == "0"] or dimensions
    if not first_tier:
        return f"product {matching[0]} has no on-demand price"
    return Found(float(first_tier[0]["pricePerUnit"]["USD"]), str(offer.get("publicationDate", ""))[:10],
                 f"offer file {offer.get('offerCode')} {offer.get('version', '')}".strip())


def rewrite(text: str, key: str, found: Found) -> str:
    """The TOML text with entry `key`'s usd, as_of and source replaced, everything else kept."""
    lines = text.splitlines(keepends=True)
    inside = False
    for index, line in enumerate(lines):
        header = re.match(r"^\[([^\]]+)\]", line)
        if header:
            inside = header.group(1) == f"prices.{key}"
            continue
        if not inside:
            continue
        for name, value in (("usd", repr(found.usd)), ("as_of", json.dumps(found.as_of)),
                            ("source", json.dumps(found.source))):
            if re.match(rf"^{name}\s*=", line):
                lines[index] = f"{name} = {value}\n"
    return "".join(lines)


def download(offer: str, region: str, directory: Path) -> Path:
    url = OFFER_URL.format(offer=offer, region="" if offer in GLOBAL_OFFERS else f"{region}/")
    target = directory / f"{offer}.json"
    with urllib.request.urlopen(url, timeout=120) as response, open(target, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)
    return target


def refresh(offer_files: dict[str, Path], path: Path = PRICES_FILE) -> list[list[object]]:
    """Rewrite the prices found in the offer files ({offer code: file}); one row per entry:
    key, old price, new price, what happened."""
    prices, region = load_prices(path), table_region(path)
    text, rows = path.read_text(), []
    offers = {code: json.loads(file.read_text()) for code, file in offer_files.items()}
    for price in prices.values():
        if price.offer is None:
            rows.append([price.key, price.usd, None, "kept: not in the offer files (hand-entered)"])
            continue
        if price.offer not in offers:
            rows.append([price.key, price.usd, None, f"kept: no offer file {price.offer} given"])
            continue
        found = find_price(offers[price.offer], price, region)
        if isinstance(found, str):
            rows.append([price.key, price.usd, None, f"kept: {found}"])
            continue
        text = rewrite(text, price.key, found)
        rows.append([price.key, price.usd, found.usd, "updated" if found.usd != price.usd else "unchanged"])
    path.write_text(text)
    return rows


def prices_command(refresh_prices: bool, offer_files: list[str]) -> int:
    if not refresh_prices:
        rows = [[p.key, p.usd, p.unit, p.what, p.as_of, p.source] for p in load_prices().values()]
        print(table(["price", "USD", "per", "what", "as of", "source"], rows))
        print(f"\n{len(rows)} prices for {table_region()} in {PRICES_FILE.relative_to(REPO_ROOT)}")
        return 0
    files: dict[str, Path] = {}
    for given in offer_files:
        offer = json.loads(Path(given).read_text()).get("offerCode")
        if not offer:
            print(f"error: {given} is not a Price List offer file (no offerCode)", file=sys.stderr)
            return 1
        files[offer] = Path(given)
    with tempfile.TemporaryDirectory() as scratch:
        if not offer_files:
            region = table_region()
            for offer in sorted({p.offer for p in load_prices().values() if p.offer}):
                print(f"downloading the {offer} offer file for {region} ...", flush=True)
                try:
                    files[offer] = download(offer, region, Path(scratch))
                except OSError as error:
                    print(f"error: the {offer} offer file could not be downloaded: {error}", file=sys.stderr)
                    return 1
        rows = refresh(files)
    print(table(["price", "was USD", "now USD", "result"], rows))
    print(f"\n{sum(1 for r in rows if r[3] == 'updated')} prices updated in {PRICES_FILE.relative_to(REPO_ROOT)}: "
          "review the diff before committing it")
    return 0
