"""Models, endpoint configs and endpoints: the rules and use-cases (no wire names beyond the
request blocks SageMaker defines, which are stored as sent)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ValidationException
from sagecraft.executors import RuntimeRegistry
from sagecraft.services.hosting import repository as repo
from sagecraft.services.hosting.models import EndpointStatus, Kind, Resource, resource_arn
from sagecraft.storage.metadata import MetadataStore

UTC = dt.timezone.utc
MAX_TAGS = 50


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


def _normal_arn(arn: str) -> str:
    """Hosting ARNs hold the lower-cased name, as SageMaker's do."""
    head, sep, resource = arn.rpartition(":")
    return f"{head}{sep}{resource.lower()}"


def not_found(kind: Kind, arn: str) -> ValidationException:
    return ValidationException(f'Could not find {kind.label} "{arn}".')


def _check_async_config(config: dict[str, Any] | None) -> None:
    if not config:
        return
    output = config.get("OutputConfig") or {}
    for key in ("S3OutputPath", "S3FailurePath"):
        if output.get(key) is not None and not str(output[key]).startswith("s3://"):
            raise ValidationException(f"AsyncInferenceConfig.OutputConfig.{key} must be an s3:// URI.")
    if not output.get("S3OutputPath"):
        raise ValidationException("AsyncInferenceConfig.OutputConfig needs an S3OutputPath.")
    concurrency = (config.get("ClientConfig") or {}).get("MaxConcurrentInvocationsPerInstance")
    if concurrency is not None and not 1 <= int(concurrency) <= 1000:
        raise ValidationException("AsyncInferenceConfig.ClientConfig.MaxConcurrentInvocationsPerInstance must be "
                                  "from 1 to 1000.")


# Resolves a ModelPackageName (name or ARN) to the package's inference containers (the registry's).
PackageResolver = Callable[[str], list[dict[str, Any]]]


class HostingService:
    def __init__(self, store: MetadataStore, runtimes: Callable[[], RuntimeRegistry],
                 package_resolver: PackageResolver | None = None) -> None:
        self.store = store
        self.runtimes = runtimes
        self.package_resolver = package_resolver
        self.listeners: list[Callable[[], None]] = []

    # -- generic ----------------------------------------------------------------------------------

    def get(self, account_id: str, region: str, kind: Kind, name: str) -> Resource:
        arn = resource_arn(kind, region, account_id, name)
        with self.store.read() as db:
            found = repo.by_arn(db, arn)
        if found is None:
            raise not_found(kind, arn)
        return found

    def find(self, account_id: str, region: str, kind: Kind, name: str) -> Resource | None:
        with self.store.read() as db:
            return repo.by_arn(db, resource_arn(kind, region, account_id, name))

    def list(self, account_id: str, region: str, kind: Kind) -> list[Resource]:
        with self.store.read() as db:
            return repo.listing(db, account_id, region, kind)

    def delete(self, account_id: str, region: str, kind: Kind, name: str) -> None:
        found = self.get(account_id, region, kind, name)
        with self.store.write() as db:
            repo.remove(db, found.id)

    def _insert(self, account_id: str, region: str, kind: Kind, name: str, request: dict[str, Any],
                **values: Any) -> Resource:
        arn = resource_arn(kind, region, account_id, name)
        duplicate = ValidationException(f'Cannot create already existing {kind.label} "{arn}".')
        now = _now()
        stored = {k: v for k, v in request.items() if k != "Tags"}
        row = dict(account_id=account_id, region=region, kind=kind.value, name=name, arn=arn, created_at=now,
                   last_modified=now, request=stored, tags=list(request.get("Tags") or []), **values)
        try:
            with self.store.write() as db:
                if repo.by_arn(db, arn) is not None:
                    raise duplicate
                resource_id = repo.insert_resource(db, row)
                created = repo.by_id(db, resource_id)
        except IntegrityError:
            raise duplicate from None
        assert created is not None
        return created

    # -- tags (AddTags / ListTags / DeleteTags on model, endpoint-config and endpoint ARNs) --------

    def tags(self, arn: str) -> list[dict[str, str]]:
        with self.store.read() as db:
            found = repo.by_arn(db, _normal_arn(arn))
        if found is None:
            raise ValidationException(f"Resource {arn} not found.")
        return found.tags

    def add_tags(self, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
        with self.store.write() as db:  # the row is locked: concurrent tag changes queue, none is lost
            found = repo.by_arn(db, _normal_arn(arn), lock=True)
            if found is None:
                raise ValidationException(f"Resource {arn} not found.")
            merged = {t["Key"]: t["Value"] for t in found.tags}
            for tag in tags:
                if tag["Key"].lower().startswith("aws:"):
                    raise ValidationException(f"Tag keys starting with 'aws:' are reserved: {tag['Key']!r}.")
            merged.update({t["Key"]: t["Value"] for t in tags})
            if len(merged) > MAX_TAGS:
                raise ValidationException(f"A resource can have at most {MAX_TAGS} tags.")
            result = [{"Key": k, "Value": v} for k, v in merged.items()]
            repo.set_values(db, found.id, {"tags": result})
        return result

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        with self.store.write() as db:
            found = repo.by_arn(db, _normal_arn(arn), lock=True)
            if found is None:
                raise ValidationException(f"Resource {arn} not found.")
            repo.set_values(db, found.id, {"tags": [t for t in found.tags if t["Key"] not in set(keys)]})

    def _changed(self) -> None:
        for listener in self.listeners:
            listener()

    # -- models -----------------------------------------------------------------------------------

    def create_model(self, account_id: str, region: str, request: dict[str, Any]) -> Resource:
        containers = self.resolved_containers(request)
        mode = (request.get("InferenceExecutionConfig") or {}).get("Mode", "Serial")
        if len(containers) > 1 and any(c.get("Mode") == "MultiModel" for c in containers):
            raise ValidationException("A multi-model container (Mode MultiModel) cannot be part of an inference "
                                      "pipeline.")
        if mode not in ("Serial", "Direct"):
            raise ValidationException(f"InferenceExecutionConfig Mode {mode!r} must be Serial or Direct.")
        for container in containers:
            if not container.get("Image"):
                raise ValidationException("The container of a model needs an Image.")
            if container.get("Mode") == "MultiModel" and not str(container.get("ModelDataUrl", "")).startswith("s3://"):
                raise ValidationException("A multi-model container needs ModelDataUrl: the S3 prefix of its models.")
            self.runtimes().resolve(container["Image"])  # an unknown image fails here, naming the table
        return self._insert(account_id, region, Kind.MODEL, request["ModelName"], request,
                            runtime={"containers": containers, "execution_mode": mode})

    def resolved_containers(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """The model's containers, a ModelPackageName replaced by the package's containers."""
        found: list[dict[str, Any]] = []
        for container in self.containers(request):
            package = container.get("ModelPackageName")
            if not package:
                found.append(container)
                continue
            if self.package_resolver is None:
                raise ValidationException("Models from model packages (Containers[].ModelPackageName) are not "
                                          "supported by Sagecraft yet.")
            for resolved in self.package_resolver(package):
                environment = {**(resolved.get("Environment") or {}), **(container.get("Environment") or {})}
                found.append({**resolved, "Environment": environment})
        if len(found) > 15:
            raise ValidationException("An inference pipeline has at most 15 containers.")
        return found

    @staticmethod
    def containers(request: dict[str, Any]) -> list[dict[str, Any]]:
        primary, containers = request.get("PrimaryContainer"), request.get("Containers") or []
        if primary and containers:
            raise ValidationException("Specify either PrimaryContainer or Containers, not both.")
        found = [primary] if primary else list(containers)
        if not found:
            raise ValidationException("A model needs a PrimaryContainer or Containers.")
        return found

    # -- endpoint configs -------------------------------------------------------------------------

    def create_endpoint_config(self, account_id: str, region: str, request: dict[str, Any]) -> Resource:
        shadows = request.get("ShadowProductionVariants") or []
        variants = [*request["ProductionVariants"], *shadows]
        names = [v["VariantName"] for v in variants]
        if len(set(names)) != len(names):
            raise ValidationException("The VariantName of each production variant must be unique.")
        for shadow in shadows:
            if shadow.get("ServerlessConfig"):
                raise ValidationException("A serverless shadow variant is not supported by Sagecraft yet.")
        for variant in variants:
            serverless = variant.get("ServerlessConfig")
            if serverless and (variant.get("InitialInstanceCount") or variant.get("InstanceType")):
                raise ValidationException(f"Production variant {variant['VariantName']} has a ServerlessConfig: "
                                          "InitialInstanceCount and InstanceType cannot be specified with it.")
            if not serverless and (not variant.get("InitialInstanceCount") or not variant.get("InstanceType")):
                raise ValidationException(f"Production variant {variant['VariantName']} needs InitialInstanceCount "
                                          "and InstanceType.")
            self.get(account_id, region, Kind.MODEL, variant["ModelName"])
        capture = request.get("DataCaptureConfig")
        if capture:
            if not str(capture.get("DestinationS3Uri", "")).startswith("s3://"):
                raise ValidationException("DataCaptureConfig.DestinationS3Uri must be an s3:// URI.")
            if not 0 <= int(capture.get("InitialSamplingPercentage", 0)) <= 100:
                raise ValidationException("DataCaptureConfig.InitialSamplingPercentage must be from 0 to 100.")
        _check_async_config(request.get("AsyncInferenceConfig"))
        if request.get("AsyncInferenceConfig") and any(v.get("ServerlessConfig") for v in variants):
            raise ValidationException("Asynchronous inference (AsyncInferenceConfig) needs instance-based production "
                                      "variants: a ServerlessConfig variant cannot serve it.")
        if request.get("ExplainerConfig"):
            raise ValidationException("ExplainerConfig is not supported by Sagecraft yet.")
        return self._insert(account_id, region, Kind.ENDPOINT_CONFIG, request["EndpointConfigName"], request)

    # -- endpoints --------------------------------------------------------------------------------

    def create_endpoint(self, account_id: str, region: str, request: dict[str, Any]) -> Resource:
        config = self.get(account_id, region, Kind.ENDPOINT_CONFIG, request["EndpointConfigName"])
        deployment = self._deployment(account_id, region, config)
        created = self._insert(account_id, region, Kind.ENDPOINT, request["EndpointName"], request,
                               status=EndpointStatus.CREATING.value, config_name=config.name, runtime=deployment)
        self._changed()
        return created

    def _deployment(self, account_id: str, region: str, config: Resource) -> dict[str, Any]:
        """What the endpoint runs, copied from its config and models: they may be deleted while it serves."""
        variants, modes = [], set()
        shadows = config.request.get("ShadowProductionVariants") or []
        tagged = [(False, v) for v in config.request["ProductionVariants"]] + [(True, v) for v in shadows]
        for shadow, variant in tagged:
            model = self.get(account_id, region, Kind.MODEL, variant["ModelName"])
            containers = model.runtime.get("containers") or self.containers(model.request)
            modes.add(model.runtime.get("execution_mode", "Serial"))
            variants.append({
                "VariantName": variant["VariantName"], "ModelName": model.name,
                "Image": containers[0]["Image"], "ModelDataUrl": containers[0].get("ModelDataUrl"),
                "Environment": dict(containers[0].get("Environment") or {}),
                "Containers": [{k: c.get(k) for k in ("Image", "ModelDataUrl", "Environment", "ContainerHostname",
                                                      "Mode")} for c in containers],
                "InitialVariantWeight": float(variant.get("InitialVariantWeight", 1.0)),
                "InitialInstanceCount": int(variant.get("InitialInstanceCount") or 0),
                "InstanceType": variant.get("InstanceType"),
                "ServerlessConfig": variant.get("ServerlessConfig"),
                "Shadow": shadow,  # a ShadowProductionVariant: gets a copy of each request, answers no one
            })
        return {"variants": variants, "data_capture": config.request.get("DataCaptureConfig"),
                "async_inference": config.request.get("AsyncInferenceConfig"),
                "execution_mode": "Direct" if "Direct" in modes else "Serial"}

    def delete_endpoint(self, account_id: str, region: str, name: str) -> None:
        endpoint = self.get(account_id, region, Kind.ENDPOINT, name)
        with self.store.write() as db:
            if endpoint.status == EndpointStatus.DELETING.value:
                return
            if not repo.update(db, endpoint.id, endpoint.status or "", {
                    "status": EndpointStatus.DELETING.value, "last_modified": _now()}):
                raise ValidationException(f'Endpoint "{endpoint.arn}" changed while being deleted: try again.')
        self._changed()

    def update_endpoint(self, account_id: str, region: str, request: dict[str, Any]) -> Resource:
        """Blue/green: the new config's fleet is started beside the old one, which goes once it serves."""
        for key in ("RetainAllVariantProperties", "ExcludeRetainedVariantProperties", "DeploymentConfig",
                    "RetainDeploymentConfig"):
            if request.get(key):
                raise ValidationException(f"UpdateEndpoint's {key} is not supported by Sagecraft yet.")
        endpoint = self.get(account_id, region, Kind.ENDPOINT, request["EndpointName"])
        if endpoint.status != EndpointStatus.IN_SERVICE.value:
            raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        config = self.get(account_id, region, Kind.ENDPOINT_CONFIG, request["EndpointConfigName"])
        runtime = {**endpoint.runtime, "pending": {**self._deployment(account_id, region, config),
                                                   "config_name": config.name}}
        with self.store.write() as db:
            if not repo.update(db, endpoint.id, endpoint.status, {
                    "status": EndpointStatus.UPDATING.value, "runtime": runtime, "failure_reason": None,
                    "last_modified": _now()}):
                raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        self._changed()
        return endpoint

    def update_endpoint_weights_and_capacities(self, account_id: str, region: str,
                                               request: dict[str, Any]) -> Resource:
        """Weights and instance counts changed in place (no new fleet): InService → Updating → InService."""
        endpoint = self.get(account_id, region, Kind.ENDPOINT, request["EndpointName"])
        if endpoint.status != EndpointStatus.IN_SERVICE.value:
            raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        runtime = copy.deepcopy(endpoint.runtime)
        variants = {v["VariantName"]: v for v in runtime["variants"]}
        desired = request["DesiredWeightsAndCapacities"]
        missing = [d["VariantName"] for d in desired if d["VariantName"] not in variants]
        if missing:
            raise ValidationException(f'The variant(s) "{missing}" is/are not present in endpoint "{endpoint.arn}".')
        runtime["scaling"] = {name: {"CurrentInstanceCount": v["InitialInstanceCount"],
                                     "CurrentWeight": v["InitialVariantWeight"]} for name, v in variants.items()}
        for change in desired:
            variant = variants[change["VariantName"]]
            if change.get("DesiredWeight") is not None:
                variant["InitialVariantWeight"] = float(change["DesiredWeight"])
            if change.get("DesiredInstanceCount") is not None:
                if variant.get("ServerlessConfig"):
                    raise ValidationException(f"Variant {change['VariantName']} is serverless: it has no instance "
                                              "count to set.")
                variant["InitialInstanceCount"] = int(change["DesiredInstanceCount"])
            if change.get("ServerlessUpdateConfig"):
                raise ValidationException("ServerlessUpdateConfig is not supported by Sagecraft yet.")
        if sum(v["InitialVariantWeight"] for v in variants.values()) <= 0:
            raise ValidationException("The sum of the variants' weights must be greater than 0.")
        with self.store.write() as db:
            if not repo.update(db, endpoint.id, endpoint.status, {
                    "status": EndpointStatus.UPDATING.value, "runtime": runtime, "failure_reason": None,
                    "last_modified": _now()}):
                raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        self._changed()
        return endpoint

    def finish_scaling(self, endpoint: Resource, failure_reason: str | None = None) -> bool:
        """Updating → InService after a capacity change; a failed one keeps the counts that run."""
        runtime = copy.deepcopy(endpoint.runtime)
        before = runtime.pop("scaling", None) or {}
        if failure_reason is not None:
            for variant in runtime["variants"]:
                old = before.get(variant["VariantName"])
                if old:
                    variant["InitialInstanceCount"] = old["CurrentInstanceCount"]
                    variant["InitialVariantWeight"] = old["CurrentWeight"]
        with self.store.write() as db:
            return repo.update(db, endpoint.id, EndpointStatus.UPDATING.value, {
                "status": EndpointStatus.IN_SERVICE.value, "failure_reason": failure_reason, "runtime": runtime,
                "last_modified": _now()})

    # -- the reconciler's steps -------------------------------------------------------------------

    def active_endpoints(self) -> list[Resource]:
        with self.store.read() as db:
            return repo.active_endpoints(db)

    def advance(self, endpoint: Resource, status: EndpointStatus, failure_reason: str | None = None) -> bool:
        with self.store.write() as db:
            return repo.update(db, endpoint.id, endpoint.status or "", {
                "status": status.value, "failure_reason": failure_reason, "last_modified": _now()})

    def finish_update(self, endpoint: Resource, failure_reason: str | None = None) -> bool:
        """Updating → InService: on the new deployment, or (failed) on the old one with the reason."""
        runtime = dict(endpoint.runtime)
        pending = runtime.pop("pending", None) or {}
        values: dict[str, Any] = {"status": EndpointStatus.IN_SERVICE.value, "failure_reason": failure_reason,
                                  "last_modified": _now(), "runtime": runtime}
        if failure_reason is None and pending:
            values["config_name"] = pending.pop("config_name")
            values["runtime"] = pending
        with self.store.write() as db:
            return repo.update(db, endpoint.id, EndpointStatus.UPDATING.value, values)

    def forget(self, endpoint: Resource) -> None:
        with self.store.write() as db:
            repo.remove(db, endpoint.id)
