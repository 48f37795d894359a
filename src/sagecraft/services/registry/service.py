"""Model registry use-cases: package groups (with a resource policy), model packages numbered
within their group, approval changes (recorded as events, handed to the group's approval actions)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from sagecraft.core.errors import ConflictException, ValidationException
from sagecraft.security.policy import MalformedPolicyDocument, parse_policy
from sagecraft.services.registry import repository as repo
from sagecraft.services.registry.models import (
    GROUP_ARN_RE,
    GROUP_STATUS,
    NAME_RE,
    PACKAGE_STATUS,
    UNVERSIONED_ARN_RE,
    VERSION_ARN_RE,
    ApprovalStatus,
    ModelPackage,
    PackageGroup,
    group_arn,
    package_arn,
)
from sagecraft.storage.metadata import MetadataStore

UTC = dt.timezone.utc
APPROVAL_VALUES = {s.value for s in ApprovalStatus}
# Members of UpdateModelPackage that replace the stored value as sent.
REPLACED_ON_UPDATE = ("InferenceSpecification", "SourceUri", "ModelCard", "ModelLifeCycle",
                      "ModelPackageRegistrationType")


def _now() -> dt.datetime:
    return dt.datetime.now(UTC)


def group_not_found(name: str) -> ValidationException:
    return ValidationException(f"Could not find model package group: ModelPackageGroup {name} does not exist.")


def package_not_found(name: str) -> ValidationException:
    return ValidationException(f"Could not find model package: ModelPackage {name} does not exist.")


def check_name(name: str, member: str) -> None:
    if not NAME_RE.match(name):
        raise ValidationException(f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy "
                                  "constraint: Member must satisfy regular expression pattern: "
                                  "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


def check_approval(status: str | None) -> None:
    if status is not None and status not in APPROVAL_VALUES:
        raise ValidationException(f"1 validation error detected: Value '{status}' at 'modelApprovalStatus' failed "
                                  f"to satisfy constraint: Member must satisfy enum value set: "
                                  f"[{', '.join(sorted(APPROVAL_VALUES))}]")


# Called after an approval status changed and was committed: (caller context, package, previous status).
ApprovalListener = Callable[[Any, ModelPackage, str | None], None]


class RegistryService:
    def __init__(self, store: MetadataStore, clock: Callable[[], dt.datetime] = _now) -> None:
        self.store = store
        self.clock = clock
        self.approval_listeners: list[ApprovalListener] = []

    # -- groups -----------------------------------------------------------------------------------

    def create_group(self, account_id: str, region: str, request: dict[str, Any], created_by: dict) -> PackageGroup:
        name = request["ModelPackageGroupName"]
        check_name(name, "modelPackageGroupName")
        arn = group_arn(region, account_id, name)
        duplicate = ValidationException(f"Model Package Group already exists: {arn}")
        values = dict(account_id=account_id, region=region, name=name, arn=arn,
                      description=request.get("ModelPackageGroupDescription"), status=GROUP_STATUS,
                      created_at=self.clock(), created_by=created_by, tags=list(request.get("Tags") or []),
                      policy=None, last_version=0)
        try:
            with self.store.write() as db:
                if repo.group_by_arn(db, arn) is not None:
                    raise duplicate
                repo.insert_group(db, values)
                created = repo.group_by_arn(db, arn)
        except IntegrityError:
            raise duplicate from None
        assert created is not None
        return created

    def get_group(self, account_id: str, region: str, name_or_arn: str) -> PackageGroup:
        arn = self._group_arn(account_id, region, name_or_arn)
        with self.store.read() as db:
            found = repo.group_by_arn(db, arn)
        if found is None:
            raise group_not_found(name_or_arn)
        return found

    def list_groups(self, account_id: str, region: str) -> list[PackageGroup]:
        with self.store.read() as db:
            return repo.groups_in(db, account_id, region)

    def delete_group(self, account_id: str, region: str, name: str) -> None:
        group = self.get_group(account_id, region, name)
        with self.store.write() as db:
            if repo.count_in_group(db, account_id, region, group.name):
                raise ConflictException(f"Model Package Group {group.name} cannot be deleted because it still "
                                        "contains model packages: delete them first.")
            repo.delete_group(db, group.id)

    def put_policy(self, account_id: str, region: str, name: str, policy: str) -> PackageGroup:
        try:
            parsed = json.loads(policy)
        except ValueError:
            raise ValidationException("The ResourcePolicy is not valid JSON.") from None
        if not isinstance(parsed, dict) or "Statement" not in parsed:
            raise ValidationException("The ResourcePolicy must be a JSON policy document with a Statement.")
        try:  # enforced as a resource-based policy (services/registry/policies.py): it must be one
            parse_policy(parsed, "resource")
        except MalformedPolicyDocument as error:
            raise ValidationException(f"The ResourcePolicy is not a valid resource policy: {error.message}") from None
        group = self.get_group(account_id, region, name)
        with self.store.write() as db:
            repo.update_group(db, group.id, {"policy": policy})
        return group

    def get_policy(self, account_id: str, region: str, name: str) -> str:
        group = self.get_group(account_id, region, name)
        if group.policy is None:
            raise ValidationException(f"Cannot find resource policy for model package group {group.name}.")
        return group.policy

    def delete_policy(self, account_id: str, region: str, name: str) -> None:
        group = self.get_group(account_id, region, name)
        if group.policy is None:
            raise ValidationException(f"Cannot find resource policy for model package group {group.name}.")
        with self.store.write() as db:
            repo.update_group(db, group.id, {"policy": None})

    # -- packages ---------------------------------------------------------------------------------

    def create_package(self, context: Any, request: dict[str, Any], created_by: dict) -> ModelPackage:
        account_id, region = context.account_id, context.region
        name, group_name = request.get("ModelPackageName"), request.get("ModelPackageGroupName")
        if bool(name) == bool(group_name):
            raise ValidationException("Specify exactly one of ModelPackageName (an unversioned model package) "
                                      "and ModelPackageGroupName (a version in a group).")
        check_approval(request.get("ModelApprovalStatus"))
        _check_inference(request.get("InferenceSpecification"))
        stored = copy.deepcopy({k: v for k, v in request.items() if k not in ("Tags", "ClientToken")})
        now = self.clock()
        details = {"CreatedBy": created_by, "LastModifiedBy": created_by, "ClientToken": request.get("ClientToken")}
        values = dict(account_id=account_id, region=region, status=PACKAGE_STATUS, created_at=now, last_modified=now,
                      request=stored, details=details, tags=list(request.get("Tags") or []))
        if name:
            return self._create_unversioned(account_id, region, name, values, request)
        created, fresh = self._create_version(account_id, region, group_name, values, request)
        if fresh:  # a version registered as Approved deploys like one approved later
            self._approval_changed(context, created, None)
        return created

    def _create_unversioned(self, account_id: str, region: str, name: str, values: dict, request: dict) -> ModelPackage:
        check_name(name, "modelPackageName")
        arn = package_arn(region, account_id, name)
        duplicate = ValidationException(f"ModelPackage already exists: {arn}")
        row = dict(values, name=name, group_name=None, version=None, arn=arn,
                   approval_status=request.get("ModelApprovalStatus"))
        try:
            with self.store.write() as db:
                if repo.package_by_arn(db, arn) is not None:
                    raise duplicate
                package_id = repo.insert_package(db, row)
                created = repo.package_by_id(db, package_id)
        except IntegrityError:
            raise duplicate from None
        assert created is not None
        return created

    def _create_version(self, account_id: str, region: str, group_name: str, values: dict,
                        request: dict) -> tuple[ModelPackage, bool]:
        """The new version and True, or the version an earlier attempt with this ClientToken made and False."""
        token = request.get("ClientToken")
        for _attempt in range(10):
            group = self.get_group(account_id, region, group_name)
            with self.store.write() as db:
                if token:  # a retried create returns the version the first attempt made
                    for existing in repo.packages_in(db, account_id, region, group.name):
                        if existing.details.get("ClientToken") == token:
                            return existing, False
                version = repo.claim_version(db, group)
                if version is None:
                    continue
                row = dict(values, name=group.name, group_name=group.name, version=version,
                           arn=package_arn(region, account_id, group.name, version),
                           approval_status=request.get("ModelApprovalStatus") or ApprovalStatus.PENDING.value)
                row["request"] = dict(row["request"], ModelPackageGroupName=group.name)
                created = repo.package_by_id(db, repo.insert_package(db, row))
            assert created is not None
            return created, True
        raise ConflictException(f"Too many concurrent versions were created in {group_name}; try again.")

    def get_package(self, account_id: str, region: str, name_or_arn: str) -> ModelPackage:
        with self.store.read() as db:
            found = repo.package_by_arn(db, self._package_arn(account_id, region, name_or_arn))
        if found is None:
            raise package_not_found(name_or_arn)
        return found

    def list_packages(self, account_id: str, region: str, group_name: str | None = None) -> list[ModelPackage]:
        with self.store.read() as db:
            return repo.packages_in(db, account_id, region, group_name)

    def delete_package(self, account_id: str, region: str, name_or_arn: str) -> None:
        package = self.get_package(account_id, region, name_or_arn)
        with self.store.write() as db:
            repo.delete_package(db, package.id)

    def update_package(self, context: Any, request: dict[str, Any], modified_by: dict) -> ModelPackage:
        status = request.get("ModelApprovalStatus")
        check_approval(status)
        if "InferenceSpecification" in request:
            _check_inference(request["InferenceSpecification"])
        arn = self._package_arn(context.account_id, context.region, request["ModelPackageArn"])
        with self.store.write() as db:  # the row is locked: concurrent updates queue, none is lost
            package = repo.package_by_arn(db, arn, lock=True)
            if package is None:
                raise package_not_found(request["ModelPackageArn"])
            repo.update_package(db, package.id, _updated(package, request, modified_by, self.clock()))
            updated = repo.package_by_id(db, package.id)
        assert updated is not None
        if status is not None and status != package.approval_status:
            self._approval_changed(context, updated, package.approval_status)
        return updated

    # -- tags (AddTags / ListTags / DeleteTags on groups and packages) -------------------------------

    def tags(self, arn: str) -> list[dict[str, str]]:
        with self.store.read() as db:
            return self._tagged(db, arn, lock=False).tags

    def change_tags(self, arn: str, add: Sequence[Mapping[str, str]] = (),
                    remove: Sequence[str] = ()) -> list[dict[str, str]]:
        with self.store.write() as db:  # the row is locked: concurrent tag changes queue, none is lost
            found = self._tagged(db, arn, lock=True)
            merged = {t["Key"]: t["Value"] for t in found.tags if t["Key"] not in set(remove)}
            merged.update({t["Key"]: t["Value"] for t in add})
            tags = [{"Key": k, "Value": v} for k, v in merged.items()]
            update = repo.update_group if isinstance(found, PackageGroup) else repo.update_package
            update(db, found.id, {"tags": tags})
        return tags

    @staticmethod
    def _tagged(db: Any, arn: str, lock: bool) -> PackageGroup | ModelPackage:
        match = GROUP_ARN_RE.match(arn)
        if match:
            found: PackageGroup | ModelPackage | None = repo.group_by_arn(
                db, group_arn(match.group(1), match.group(2), match.group(3)), lock=lock)
        else:
            versioned, plain = VERSION_ARN_RE.match(arn), UNVERSIONED_ARN_RE.match(arn)
            key = (package_arn(versioned.group(1), versioned.group(2), versioned.group(3), int(versioned.group(4)))
                   if versioned else package_arn(plain.group(1), plain.group(2), plain.group(3)) if plain else None)
            found = repo.package_by_arn(db, key, lock=lock) if key else None
        if found is None:
            raise ValidationException(f"Could not find resource {arn}.")
        return found

    def containers_for(self, model_package_name: str, account_id: str | None = None,
                       region: str | None = None) -> list[dict[str, Any]]:
        """The containers a model made from this package runs (``CreateModel`` with
        ``Containers=[{"ModelPackageName": …}]``): Image, ModelDataUrl and Environment of the
        package's InferenceSpecification. The ARN names the account and region; a bare name
        without them must name exactly one unversioned package."""
        match = VERSION_ARN_RE.match(model_package_name) or UNVERSIONED_ARN_RE.match(model_package_name)
        if match:
            region, account_id = match.group(1), match.group(2)
        if account_id is None or region is None:  # a bare name: the one unversioned package of that name
            with self.store.read() as db:
                named = repo.unversioned_named(db, model_package_name)
            if len(named) != 1:
                raise package_not_found(model_package_name)
            account_id, region = named[0].account_id, named[0].region
        package = self.get_package(account_id, region, model_package_name)
        containers = [{k: copy.deepcopy(c[k]) for k in ("Image", "ModelDataUrl", "Environment") if c.get(k)}
                      for c in package.containers()]
        if not containers:
            raise ValidationException(f"The model package {package.arn} has no InferenceSpecification containers.")
        return containers

    def _approval_changed(self, context: Any, package: ModelPackage, previous: str | None) -> None:
        for listener in self.approval_listeners:
            listener(context, package, previous)

    # -- names ------------------------------------------------------------------------------------

    @staticmethod
    def _group_arn(account_id: str, region: str, name_or_arn: str) -> str:
        match = GROUP_ARN_RE.match(name_or_arn)
        if match:
            return group_arn(match.group(1), match.group(2), match.group(3))
        return group_arn(region, account_id, name_or_arn)

    @staticmethod
    def _package_arn(account_id: str, region: str, name_or_arn: str) -> str:
        match = VERSION_ARN_RE.match(name_or_arn)
        if match:
            return package_arn(match.group(1), match.group(2), match.group(3), int(match.group(4)))
        match = UNVERSIONED_ARN_RE.match(name_or_arn)
        if match:
            return package_arn(match.group(1), match.group(2), match.group(3))
        return package_arn(region, account_id, name_or_arn)


def _updated(package: ModelPackage, request: dict[str, Any], modified_by: dict, now: dt.datetime) -> dict[str, Any]:
    """The columns UpdateModelPackage changes."""
    stored = copy.deepcopy(package.request)
    for member in REPLACED_ON_UPDATE:
        if member in request:
            stored[member] = copy.deepcopy(request[member])
    metadata = dict(stored.get("CustomerMetadataProperties") or {})
    metadata.update(request.get("CustomerMetadataProperties") or {})
    for key in request.get("CustomerMetadataPropertiesToRemove") or []:
        metadata.pop(key, None)
    if metadata or "CustomerMetadataProperties" in stored:
        stored["CustomerMetadataProperties"] = metadata
    if request.get("AdditionalInferenceSpecificationsToAdd"):
        stored["AdditionalInferenceSpecifications"] = [*(stored.get("AdditionalInferenceSpecifications") or []),
                                                       *request["AdditionalInferenceSpecificationsToAdd"]]
    details = dict(package.details, LastModifiedBy=modified_by)
    if "ApprovalDescription" in request:
        details["ApprovalDescription"] = request["ApprovalDescription"]
    values: dict[str, Any] = {"request": stored, "details": details, "last_modified": now}
    if request.get("ModelApprovalStatus") is not None:
        values["approval_status"] = request["ModelApprovalStatus"]
    return values


def _check_inference(spec: dict[str, Any] | None) -> None:
    if spec is None:
        return
    containers = spec.get("Containers") or []
    if not containers:
        raise ValidationException("InferenceSpecification.Containers must name at least one container.")
    for index, container in enumerate(containers):
        if not container.get("Image") and not container.get("ModelDataSource") and not container.get("ModelDataUrl"):
            raise ValidationException(f"InferenceSpecification.Containers[{index}] needs an Image.")
