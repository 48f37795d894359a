"""``Search`` on the wire: dispatched by Resource to the searcher its capability registered."""

from __future__ import annotations

from sagecraft.core.context import RequestContext
from sagecraft.core.errors import ValidationException
from sagecraft.services.search.expression import expression_matches, sort_key
from sagecraft.services.search.registry import SearchRegistry

DEFAULT_MAX_RESULTS = 10
MAX_RESULTS = 100


class SearchProvider:
    service_name = "sagemaker"
    threaded_operations = frozenset({"Search"})

    def __init__(self, registry: SearchRegistry) -> None:
        self.registry = registry

    def search(self, context: RequestContext, params: dict) -> dict:
        resource = params["Resource"]
        searcher = self.registry.get(resource)
        if searcher is None:
            raise ValidationException(f"Search on the resource {resource} is not supported by Sagecraft yet "
                                      f"(supported: {', '.join(self.registry.resources) or 'none'}).")
        if params.get("CrossAccountFilterOption") == "CrossAccount":
            raise ValidationException("Cross-account search is not supported by Sagecraft yet.")
        expression = params.get("SearchExpression")
        matches = getattr(searcher, "matches", expression_matches)
        ordering = getattr(searcher, "sort_key", sort_key)
        found = [r for r in searcher(context, params) if matches(r, expression)]
        if params.get("SortBy"):
            found.sort(key=lambda r: ordering(r, params["SortBy"]),
                       reverse=(params.get("SortOrder") or "Descending") == "Descending")
        token = params.get("NextToken")
        try:
            start = int(token) if token else 0
        except ValueError:
            raise ValidationException("Invalid pagination token.") from None
        size = min(params.get("MaxResults") or DEFAULT_MAX_RESULTS, MAX_RESULTS)
        key = getattr(searcher, "record_key", resource)
        results = [{key: record} for record in found[start:start + size]]
        out: dict = {"Results": results, "TotalHits": {"Value": len(found), "Relation": "EqualTo"}}
        if start + size < len(found):
            out["NextToken"] = str(start + size)
        return out
