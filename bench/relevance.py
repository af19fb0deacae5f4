"""Search relevance: the judged queries of ``ckanext/jena/demo/relevance.yaml`` over the demo datasets.

Both portals get the 35 demo datasets on top of the generated ones: the Jena portal through its
own loader (``ckan jena demo load``, the portal's schema with both languages), stock CKAN
through ``package_create`` with CKAN's core fields, as a stock portal would keep bilingual
data: German title, description, resource names and keywords, the English title and
description as extras (indexed and searched like every extra), the English keywords as
further tags. Each query is sent to ``package_search`` as a visitor types it, restricted with
``fq`` to the demo datasets (the judgements cover those only; the generated datasets still
count for term statistics), and its first ten results are scored:

- recall@10: the share of a query's expected datasets among its first ten results;
- MRR: the mean over queries of 1 / rank of the first expected dataset (0 when none is
  among the first ten).

Metric functions are plain Python, so the tests use the same ones.
"""
from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.client import BenchError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO_ROOT / "ckanext" / "jena" / "demo"
JUDGEMENTS_FILE = DEMO_DIR / "relevance.yaml"
CONTENT_FILE = DEMO_DIR / "content.yaml"
TOP = 10


@dataclass(frozen=True)
class Judgement:
    """One query, its language and the datasets that answer it."""

    query: str
    language: str
    expected: tuple[str, ...]
    depends_on: tuple[str, ...] = ()


def judgements(data: dict[str, Any]) -> list[Judgement]:
    """The judgements of a loaded ``relevance.yaml``; rejects entries without expected datasets."""
    result = []
    for entry in data["queries"]:
        if not entry.get("expected"):
            raise ValueError(f"query {entry.get('q')!r} names no expected dataset")
        result.append(Judgement(str(entry["q"]), entry["language"], tuple(entry["expected"]),
                                tuple(entry.get("depends_on") or ())))
    return result


def recall_at(ranked: Sequence[str], expected: Iterable[str], k: int = TOP) -> float:
    """Share of the expected datasets among the first ``k`` results."""
    wanted = set(expected)
    if not wanted:
        raise ValueError("recall of a query without expected datasets")
    return len(wanted & set(ranked[:k])) / len(wanted)


def reciprocal_rank(ranked: Sequence[str], expected: Iterable[str], k: int = TOP) -> float:
    """1 / rank (1-based) of the first expected dataset among the first ``k`` results, else 0."""
    wanted = set(expected)
    for rank, name in enumerate(ranked[:k], start=1):
        if name in wanted:
            return 1 / rank
    return 0.0


def scores(results: dict[str, Sequence[str]], judged: Sequence[Judgement],
           language: str | None = None) -> dict[str, float]:
    """Mean recall@10 and MRR over the judged queries (of one language, or all)."""
    chosen = [judgement for judgement in judged if language in (None, judgement.language)]
    if not chosen:
        raise ValueError(f"no judged queries in language {language!r}")
    recalls = [recall_at(results[j.query], j.expected) for j in chosen]
    ranks = [reciprocal_rank(results[j.query], j.expected) for j in chosen]
    return {"queries": len(chosen), "recall_at_10": sum(recalls) / len(chosen), "mrr": sum(ranks) / len(chosen)}


def misses(results: dict[str, Sequence[str]], judged: Sequence[Judgement]) -> dict[str, list[str]]:
    """Per query, the expected datasets that are not among the first ten results."""
    return {j.query: [name for name in j.expected if name not in results[j.query][:TOP]]
            for j in judged if recall_at(results[j.query], j.expected) < 1}


def read_yaml(python: Path, path: Path) -> Any:
    """A YAML file read by CKAN's Python (which has PyYAML); the bench itself uses the standard library."""
    script = ("import json, sys, yaml; "
              "json.dump(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), sys.stdout, default=str)")
    completed = subprocess.run([str(python), "-c", script, str(path)], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise BenchError(f"reading {path} failed: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout)


def _german(value: Any) -> str:
    return (value.get("de") or "") if isinstance(value, dict) else (value or "")


def _english(value: Any) -> str:
    return (value.get("en") or "") if isinstance(value, dict) else ""


def _tag_names(tags: dict[str, list[str]] | None) -> list[str]:
    names: list[str] = []
    for language in ("de", "en"):
        for name in (tags or {}).get(language) or []:
            if name not in names:
                names.append(name)
    return names


def stock_organization(organization: dict[str, Any]) -> dict[str, Any]:
    return {"name": organization["name"], "title": _german(organization["title"]),
            "description": _german(organization.get("description"))}


def stock_dataset(dataset: dict[str, Any]) -> dict[str, Any]:
    """A demo dataset in CKAN's core fields (see the module's docstring)."""
    extras = [{"key": f"{key}_en", "value": _english(dataset.get(key))}
              for key in ("title", "notes") if _english(dataset.get(key))]
    resources = []
    for resource in dataset.get("resources") or []:
        description = "\n\n".join(text for text in (_german(resource.get("description")),
                                                    _english(resource.get("description"))) if text)
        resources.append({
            "name": _german(resource["name"]),
            "description": description,
            "format": resource.get("format") or "",
            "url": resource.get("url") or f"https://opendata.jena.de/dateien/{resource['file']}",
        })
    return {
        "name": dataset["name"],
        "title": _german(dataset["title"]),
        "notes": _german(dataset.get("notes")),
        "owner_org": dataset["organization"],
        "license_id": dataset.get("license") or "",
        "tags": [{"name": name} for name in _tag_names(dataset.get("tags"))],
        "extras": extras,
        "resources": resources,
    }


def demo_filter(names: Iterable[str]) -> str:
    """``fq`` that keeps the search to the demo datasets."""
    return "name:(" + " OR ".join(f'"{name}"' for name in sorted(names)) + ")"


def ranked_names(search: Callable[[dict[str, str]], dict], query: str, names: Iterable[str]) -> list[str]:
    """The names of the first ten demo datasets that ``package_search`` returns for ``query``."""
    result = search({"q": query, "fq": demo_filter(names), "rows": str(TOP)})
    return [dataset["name"] for dataset in result["results"]]
