"""The REST verbs on one resource, over the simulator's API server (``SimApiServer``).

Each verb runs under the cluster lock and returns Kubernetes JSON or raises ``ApiError``;
the kit's own exceptions (ManifestError, NotFound) become Status errors worded as the real
server words them. Writes go through the simulator's verbs (apply, patch, delete), so
admission, validation and the controllers' reactions are the notebook's own.
"""

from __future__ import annotations

from helpers.core import labels
from helpers.core.kinds import KINDS, Kind
from helpers.core.manifests import merge_patch
from helpers.errors import ManifestError, NotFound
from helpers.sim import dryrun
from helpers.sim.configdata import DATA_KINDS
from helpers.sim.httpapi import fieldmanager, jsonpatch, paging, statuses, strategic
from helpers.sim.httpapi.statuses import ApiError

STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
NAMESPACED_KINDS = {k.kind for k in KINDS.values() if k.namespaced}
READ_ONLY = ("Event", "Endpoints", "EndpointSlice")
# Kinds whose JSON the API server assembles on read (no stored body to view).
SYNTHETIC = (*READ_ONLY, "PodDisruptionBudget")


def parse_field_selector(text: str | None) -> list[tuple[str, bool, str]]:
    """``metadata.name=x,status.phase!=Running`` -> [(path, equal, value), ...]."""
    out = []
    for term in (text or "").split(","):
        if not term:
            continue
        neg = "!=" in term
        path, value = term.replace("!=", "=").replace("==", "=").split("=", 1)
        out.append((path.strip(), not neg, value.strip()))
    return out


def field_matches(obj: dict, terms: list[tuple[str, bool, str]]) -> bool:
    """Whether ``obj`` passes every (path, equal, value) term of a field selector."""
    for path, equal, value in terms:
        cur = obj
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if (str(cur if cur is not None else "") == value) != equal:
            return False
    return True


class Verbs:
    """list, get, create, replace, patch, delete and the scale subresource of any kind.

    Args:
        api: the simulator's SimApiServer (its lock, store and clock come with it).
    """

    def __init__(self, api):
        self.api = api

    def _ns(self, kind: Kind, namespace: str | None) -> str | None:
        return namespace if kind.namespaced else None

    def list(self, kind: Kind, namespace: str | None, selector: str | None, fields: str | None):
        """Objects of ``kind`` (namespace None: every namespace), filtered."""
        terms = parse_field_selector(fields)
        objs = self.api.list_objects(kind.kind, self._ns(kind, namespace), selector)
        if kind.kind == "Event":
            self._event_uids(objs)
        return [o for o in objs if field_matches(o, terms)] if terms else objs

    def _event_uids(self, events: list[dict]) -> None:
        # The event log keeps kind/name; describe selects on involvedObject.uid, so the
        # uid is that of the object now bearing the name (names of pods are never reused).
        for event in events:
            ref = event["involvedObject"]
            namespace = ref.get("namespace") if ref["kind"] in NAMESPACED_KINDS else None
            obj = self.api.store.find(ref["kind"], ref["name"], namespace)
            if obj is not None:
                ref["uid"] = obj.uid

    def views(self, kind: Kind, namespace: str | None, selector: str | None, fields: str | None):
        """Like ``list`` (the same JSON), but uncopied views of the stored objects: for
        Tables and full lists, encoded at once. Call and serialize under the cluster lock
        (the views share the store's dicts); a deep copy per pod is most of a list's cost
        at 1,000 pods."""
        if kind.kind in SYNTHETIC:
            return self.list(kind, namespace, selector, fields)
        terms = parse_field_selector(fields)
        out = []
        for obj in self.api.store.select(
            kind.kind, self._ns(kind, namespace), labels.parse(selector)
        ):
            view = self._view(obj)
            if not terms or field_matches(view, terms):
                out.append(view)
        return out

    def views_page(
        self, kind: Kind, namespace: str | None, selector: str | None, fields: str | None,
        limit: str | None, cont: str | None, rv: str,
    ) -> tuple[list[dict], dict]:  # fmt: skip
        """One page of ``views`` (limit/continue, helpers.sim.httpapi.paging) and the list
        metadata to add. Without a field selector the stored objects are paged first, so
        only the page's statuses are rendered (a pod's status is most of a view's cost)."""
        if kind.kind in SYNTHETIC or fields:
            return paging.page(self.views(kind, namespace, selector, fields), limit, cont, rv)
        stored = self.api.store.select(kind.kind, self._ns(kind, namespace), labels.parse(selector))
        shown, more = paging.page(list(stored), limit, cont, rv, key=_stored_key)
        return [self._view(obj) for obj in shown], more

    @staticmethod
    def _view(obj) -> dict:
        """A stored object as its JSON, sharing the store's dicts (see ``views``)."""
        view = {**obj.body, "metadata": {**obj.meta, "resourceVersion": str(obj.rv)}}
        if obj.kind not in DATA_KINDS:  # ConfigMaps and Secrets have no status (to_json)
            view["status"] = obj.render_status()
        if getattr(obj, "node", None) is not None:  # a bound pod (Pod.to_json adds it)
            view["spec"] = {**obj.spec, "nodeName": obj.node}
        return view

    def get(self, kind: Kind, name: str, namespace: str | None) -> dict:
        """One object, or 404 ``<resource> "<name>" not found``."""
        if kind.kind == "Event":  # rendered from the event log: found by name in the list
            found = self.list(kind, namespace, None, f"metadata.name={name}")
            if not found:
                raise statuses.not_found(kind, name)
            return found[0]
        try:
            return self.api.get(kind.kind, name, self._ns(kind, namespace))
        except NotFound:
            raise statuses.not_found(kind, name) from None

    def create(
        self, kind: Kind, namespace: str | None, doc: dict, dry_run: bool = False, manager: str = ""
    ) -> dict:
        """POST: a new object; 409 when the name is taken. ``dry_run``: what would be
        created, nothing stored (?dryRun=All)."""
        self._writable(kind)
        meta = doc.get("metadata") or {}
        name = meta.get("name", "")
        ns = self._ns(kind, namespace)
        if ns and meta.get("namespace") not in (None, ns):
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not "
                           "match the namespace sent on the request")  # fmt: skip
        with self.api.lock:
            if self.api.store.find(kind.kind, name, ns) is not None:
                raise statuses.already_exists(kind, name)
            if dry_run:
                return self._write(kind, name, lambda: dryrun.apply(self.api, doc, ns or "default"))
            self._write(kind, name, lambda: self.api.apply(doc, ns or "default"))
            self._record(kind, name, ns, None, manager)
            return self.get(kind, name, ns)

    def replace(
        self,
        kind: Kind,
        name: str,
        namespace: str | None,
        doc: dict,
        dry_run: bool = False,
        manager: str = "",
    ) -> dict:
        """PUT: the object as sent (apply semantics); 404 when it does not exist."""
        self._writable(kind)
        with self.api.lock:
            before = self.get(kind, name, namespace)
            ns = namespace or "default"
            if dry_run:
                return self._write(kind, name, lambda: dryrun.apply(self.api, doc, ns))
            self._write(kind, name, lambda: self.api.apply(doc, ns))
            self._record(kind, name, namespace, before, manager)
            return self.get(kind, name, namespace)

    def server_side_apply(
        self,
        kind: Kind,
        name: str,
        namespace: str | None,
        config: dict,
        manager: str,
        force: bool = False,
        dry_run: bool = False,
    ) -> tuple[dict, bool]:
        """PATCH application/apply-patch+yaml: merge ``config`` as ``manager`` owns it;
        409 on fields other managers own with other values (unless ``force``). Returns
        (the object, whether the apply created it)."""
        self._writable(kind)
        if not manager:
            raise ApiError(422, "Invalid", 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: '
                           "Required value: is required for apply patch")  # fmt: skip
        meta = config.setdefault("metadata", {})
        if meta.get("name") not in (None, name):
            raise ApiError(400, "BadRequest", "the name of the object does not match the name "
                           "on the URL")  # fmt: skip
        meta["name"] = name
        ns = self._ns(kind, namespace)
        with self.api.lock:
            try:
                live = self.get(kind, name, ns)
            except ApiError as err:
                if err.code != 404:
                    raise
                live = None  # apply creates it
            merged, fields = fieldmanager.apply(live, config, manager, force, self.api.clock.now)
            if dry_run:
                out = self._write(
                    kind, name, lambda: dryrun.apply(self.api, merged, ns or "default")
                )
                out["metadata"]["managedFields"] = fields
                return out, live is None
            self._write(kind, name, lambda: self.api.apply(merged, ns or "default"))
            self.api.find(kind.kind, name, ns).meta["managedFields"] = fields
            return self.get(kind, name, ns), live is None

    def _record(self, kind: Kind, name: str, namespace, before, manager: str, sub=None) -> None:
        """Note ``manager``'s Update in the object's managedFields (helpers.sim.httpapi.fieldmanager)."""
        if not manager:
            return
        try:
            obj = self.api.find(kind.kind, name, self._ns(kind, namespace))
        except NotFound:
            return  # gone already (a pod deleted at once)
        now = self.api.clock.now
        obj.meta["managedFields"] = fieldmanager.after_update(
            before, obj.to_json(), manager, now, sub
        )

    def patch(
        self,
        kind: Kind,
        name: str,
        namespace: str | None,
        patch,
        ctype: str,
        dry_run: bool = False,
        manager: str = "",
    ) -> dict:
        """PATCH with a strategic merge, JSON merge or JSON patch; status is the controllers'.
        ``dry_run``: the object as the patch would leave it, nothing stored."""
        self._writable(kind)
        if ctype not in (STRATEGIC, MERGE, JSON_PATCH):
            raise statuses.unsupported_media(ctype)
        if not isinstance(patch, list if ctype == JSON_PATCH else dict):
            raise ApiError(400, "BadRequest", f"the body is not a valid {ctype} document")
        with self.api.lock:
            current = self.get(kind, name, namespace)
            base = {k: v for k, v in current.items() if k != "status"}
            base["metadata"] = {k: v for k, v in base["metadata"].items() if k != "resourceVersion"}
            target = self._patched(kind, name, base, patch, ctype)
            target.pop("status", None)
            diff = strategic.merge_diff(base, target)
            if not diff:
                return current
            if dry_run:
                obj = self.api.find(kind.kind, name, namespace)
                return self._write(kind, name, lambda: dryrun.patch(self.api, obj, diff))
            self._write(kind, name, lambda: self.api.patch(kind.kind, name, diff, namespace))
            self._record(kind, name, namespace, current, manager)
            return self.get(kind, name, namespace)

    @staticmethod
    def _patched(kind: Kind, name: str, base: dict, patch, ctype: str) -> dict:
        if ctype == STRATEGIC:
            return strategic.apply(base, patch)
        if ctype == MERGE:
            return merge_patch(base, patch)
        try:
            return jsonpatch.apply(base, patch)
        except ValueError as err:
            raise statuses.invalid(kind, name, str(err)) from None

    def delete(self, kind: Kind, name: str, namespace: str | None, dry_run: bool = False) -> dict:
        """DELETE: a pod comes back terminating; other kinds answer a Success Status.
        ``dry_run``: the same answer, nothing deleted."""
        self._writable(kind)
        with self.api.lock:
            current = self.get(kind, name, namespace)
            if dry_run:
                obj = self.api.find(kind.kind, name, namespace)
                would = self._write(kind, name, lambda: dryrun.delete(self.api, obj))
                if kind.kind == "Pod":
                    return would
            else:
                self._write(kind, name, lambda: self.api.delete(kind.kind, name, namespace))
            if kind.kind == "Pod":
                try:
                    return self.get(kind, name, namespace)
                except ApiError:
                    return current
        details = {"name": name, "group": kind.group, "kind": kind.plural,
                   "uid": current["metadata"].get("uid", "")}  # fmt: skip
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": details}  # fmt: skip

    def scale(
        self,
        kind: Kind,
        name: str,
        namespace: str | None,
        patch: dict | None = None,
        dry_run: bool = False,
        manager: str = "",
    ):
        """The scale subresource (autoscaling/v1 Scale); ``patch`` sets spec.replicas
        (``dry_run``: the Scale it would give, nothing stored)."""
        if kind.kind not in ("Deployment", "ReplicaSet"):
            raise statuses.not_found(kind, name)
        with self.api.lock:
            obj = self.get(kind, name, namespace)
            replicas = ((patch or {}).get("spec") or {}).get("replicas")
            change = {"spec": {"replicas": replicas}}
            if replicas is not None and dry_run:
                stored = self.api.find(kind.kind, name, namespace)
                obj = self._write(kind, name, lambda: dryrun.patch(self.api, stored, change))
            elif replicas is not None:
                before = obj
                self._write(kind, name, lambda: self.api.patch(kind.kind, name, change, namespace))
                self._record(kind, name, namespace, before, manager, "scale")
                obj = self.get(kind, name, namespace)
        meta = obj["metadata"]
        sel = obj["spec"]["selector"].get("matchLabels") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                               "creationTimestamp") if k in meta},
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": obj["status"].get("replicas", 0),
                       "selector": ",".join(f"{k}={v}" for k, v in sel.items())},
        }  # fmt: skip

    def _writable(self, kind: Kind) -> None:
        if kind.kind in READ_ONLY:
            raise statuses.method_not_allowed(f"{kind.resource} are kept by the simulator")

    @staticmethod
    def _write(kind: Kind, name: str, fn):
        try:
            return fn()
        except ManifestError as err:
            raise statuses.invalid(kind, name, err.what) from None
        except NotFound as err:
            raise ApiError(404, "NotFound", err.what.rstrip(".")) from None


def _stored_key(obj) -> tuple[str, str]:
    """A stored object's (namespace, name), the order lists are paged in."""
    return (obj.meta.get("namespace") or "", obj.meta["name"])
