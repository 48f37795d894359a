"""SageMaker ``Search``: one operation of the ``sagemaker`` control plane, served for several
resource types by the capabilities that own them.

Each capability registers a *searcher* for its resource names on the shared
:class:`~sagecraft.services.search.registry.SearchRegistry` at composition (server/compose.py)::

    search.register("ModelPackageGroup", registry_searchers.groups)

A searcher is ``(context, params) -> list[dict]``: ``context`` is the caller's RequestContext and
``params`` the Search request (a searcher may use it to narrow what it loads, never required). It
returns every record of that resource type in the caller's account and region, each shaped as the
resource's member of botocore's ``SearchRecord`` (e.g. the ``ModelPackageGroup`` structure, with
its ``Tags`` as a list of ``{"Key", "Value"}``). The dispatcher (provider.py) applies the
``SearchExpression`` (Filters, NestedFilters, SubExpressions, Operator), ``SortBy``/``SortOrder``
and pagination, and wraps each record as ``{"<Resource>": record}``. A resource nobody registered
answers ValidationException "… is not supported by Sagecraft yet"."""
