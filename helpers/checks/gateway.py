"""Exercise checks of lab 08: the gateway reaches the model by DNS, and sends its token.

Both look at the objects first, so a wrong setting gets a hint naming it, then send real
requests through service/gateway, so a right setting that has not reached the running pods
(environment variables are read when a container starts) is caught too.
(kubernetes.io/docs/concepts/services-networking/dns-pod-service/,
kubernetes.io/docs/concepts/configuration/configmap/#configmaps-and-pods,
kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables)
"""

from __future__ import annotations

import ipaddress

from orchestra_model.data import sample_rows

from helpers.checks.result import CheckResult, Verdict, converge
from helpers.core import clusterdns
from helpers.errors import NotFound, ServiceUnavailable

GATEWAY, CONFIG, MODEL = "gateway", "gateway", "model"
TOKEN_SECRET, TOKEN_KEY, TOKEN_ENV = "model-token", "token", "MODEL_TOKEN"
# Requests each look sends through the gateway: with 2 gateway and 3 model pods, 8 random
# picks miss a given gateway pod with probability (1/2)^8 < 0.4 %.
PROBES = 8
RESTART = f'cluster.rollout_restart("{GATEWAY}") (kubectl rollout restart deployment/{GATEWAY})'


def _answers(cluster) -> tuple[int, str]:
    """(requests answered 200 of PROBES, the first failure's words or "")."""
    client = cluster.service(GATEWAY)
    ok, first = 0, ""
    for _ in range(PROBES):
        try:
            client.predict(sample_rows(1))
            ok += 1
        except ServiceUnavailable as err:
            first = first or err.what
    return ok, first


def _settling(cluster) -> bool:
    """The gateway's rollout is under way, or pods of an older revision still serve."""
    if cluster.rollout_status(GATEWAY).state == "progressing":
        return True
    return any(p["status"] == "Terminating" for p in cluster.deployment_pods(GATEWAY))


def _url_problem(cluster, url: str | None) -> str:
    """What is wrong with MODEL_URL as the gateway's pods would use it ("" if nothing)."""
    if not url:
        return (
            f"configmap/{CONFIG} has no MODEL_URL: add it under data, e.g. MODEL_URL: "
            '"http://<the model Service\'s name>".'
        )
    if "change-me" in url.lower():
        return (
            f"configmap/{CONFIG} in the cluster still holds the starting file's placeholder "
            f"({url}): write the model's address, http://<the model Service's name>, in "
            f"work/gateway-config.yaml, save, and apply the file (cluster.apply(work / "
            f'"gateway-config.yaml")).'
        )
    if url.lower().startswith("https://"):
        return f"MODEL_URL={url}: the model serves plain HTTP inside the cluster: http://..."
    try:
        target = clusterdns.lookup(url, "default")
    except ValueError:
        return (
            f"MODEL_URL={url!r} is not a URL: write it as http://<host>, the model Service's name."
        )
    if target.path not in ("", "/"):
        return (
            f"MODEL_URL={url}: it is the model's base address; the gateway adds /predict "
            f"itself (it would ask for {target.path.rstrip('/')}/predict). Leave the path out."
        )
    if target.error == "loopback":
        return (
            f"MODEL_URL={url}: inside a pod, {target.host} is that pod itself, not this "
            "machine, and NodePort 30080 is this machine's door into the cluster. From a "
            "pod, reach the model by its Service's DNS name."
        )
    if _is_ip(target.host):
        return (
            f"MODEL_URL={url}: use the Service's name, not an IP address: a ClusterIP "
            "changes when the Service is created again, the name does not."
        )
    if target.error == "resolve" or target.service is None:
        return (
            f"MODEL_URL={url}: {target.host!r} is no name cluster DNS knows: use the "
            "Service's name (or name.namespace.svc.cluster.local)."
        )
    if target.service == GATEWAY:
        return (
            f"MODEL_URL={url}: service/{GATEWAY} is the gateway itself: it would forward "
            "each request to itself until it times out. Name the model's Service."
        )
    try:
        svc = cluster.get("Service", target.service, target.namespace)
    except NotFound:
        return (
            f"MODEL_URL={url}: there is no service {target.service!r} in namespace "
            f"{target.namespace}, so the name does not resolve (kubectl get services)."
        )
    ports = [p.get("port") for p in (svc.get("spec") or {}).get("ports") or []]
    if target.port not in ports:
        targets = [p.get("targetPort") for p in svc["spec"]["ports"]]
        return (
            f"MODEL_URL={url}: service/{target.service} listens on port "
            f"{', '.join(map(str, ports))}; {target.port} is not one of its ports (its pods' "
            f"port, the targetPort, is {', '.join(map(str, targets))}). A client uses the "
            f"Service's port: http://{target.host} means port 80."
        )
    return ""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def gateway_reaches_model(cluster) -> CheckResult:
    """service/gateway answers /predict through the model Service, found by its DNS name.

    Passes when configmap/gateway's MODEL_URL names the model Service on one of its ports
    and 8 requests through the gateway all get the model's answer. A ConfigMap that is right
    while the gateway still fails means its pods started before the change: environment
    variables from a ConfigMap are read at container start.

    Example:
        >>> helpers.checks.gateway_reaches_model(cluster)
        ✓ service/gateway answers with the model's predictions
    """

    def look(c) -> Verdict:
        try:
            data = c.get("ConfigMap", CONFIG).get("data") or {}
        except NotFound:
            return Verdict(False, f"no configmap/{CONFIG}", "Apply work/gateway-config.yaml.")
        url = data.get("MODEL_URL")
        problem = _url_problem(c, url)
        seen = f"MODEL_URL={url}"
        if problem:
            return Verdict(False, seen, f"{problem} Then apply the file and restart: {RESTART}.")
        ok, failure = _answers(c)
        seen = f"MODEL_URL={url}; {ok} of {PROBES} requests through service/{GATEWAY} answered"
        if ok == PROBES:
            return Verdict(True, seen)
        hint = (
            f"The ConfigMap is right, yet the gateway answers: {failure}. Its pods read "
            "MODEL_URL when they started, before your change: a ConfigMap change does not "
            f"reach environment variables of running containers. Restart them: {RESTART}."
        )
        return Verdict(False, f"{seen} ({failure})", hint, settling=_settling(c))

    return converge(cluster, f"service/{GATEWAY} answers with the model's predictions", look)


def _token_problem(container: dict) -> str:
    """What is wrong with how the gateway's container gets MODEL_TOKEN ("" if nothing)."""
    entries = [e for e in container.get("env") or [] if e.get("name") == TOKEN_ENV]
    refs = [s.get("secretRef", {}).get("name") for s in container.get("envFrom") or []]
    where = f"the gateway's container (work/gateway.yaml, under {GATEWAY}'s env:)"
    add = (
        f"add to {where} an entry name: {TOKEN_ENV} with valueFrom: secretKeyRef: "
        f"{{name: {TOKEN_SECRET}, key: {TOKEN_KEY}}}, then apply the file."
    )
    if not entries:
        if TOKEN_SECRET in refs:
            return (
                f"envFrom with secretRef {TOKEN_SECRET} makes one variable per key of the "
                f"Secret, named as the key: {TOKEN_KEY}, not {TOKEN_ENV}. Instead, {add}"
            )
        return f"The gateway has no {TOKEN_ENV}: {add}"
    entry = entries[-1]
    if "value" in entry and "valueFrom" not in entry:
        return (
            f"{TOKEN_ENV} is written into the Deployment in plain text: anyone who may read "
            "Deployments (kubectl get deployment gateway -o yaml) reads it, and it ends up "
            f"in git. Take it from the Secret instead: {add}"
        )
    ref = (entry.get("valueFrom") or {}).get("secretKeyRef") or {}
    if ref.get("name") != TOKEN_SECRET or ref.get("key") != TOKEN_KEY:
        return (
            f"{TOKEN_ENV} comes from secret {ref.get('name')!r}, key {ref.get('key')!r}; the "
            f"model's token is in secret {TOKEN_SECRET}, key {TOKEN_KEY} (kubectl describe "
            f"secret {TOKEN_SECRET} lists its keys). A missing Secret or key keeps the pods "
            "in CreateContainerConfigError."
        )
    return ""


def _reads_secret(container: dict) -> bool:
    entries = [e for e in container.get("env") or [] if e.get("name") == TOKEN_ENV]
    ref = ((entries[-1] if entries else {}).get("valueFrom") or {}).get("secretKeyRef") or {}
    return ref.get("name") == TOKEN_SECRET and ref.get("key") == TOKEN_KEY


def gateway_sends_token(cluster) -> CheckResult:
    """The gateway takes MODEL_TOKEN from Secret model-token and the model accepts it.

    Passes when deployment/gateway's container reads MODEL_TOKEN through
    ``valueFrom.secretKeyRef`` (Secret model-token, key token), not a literal value, and 8
    requests through the gateway all get the model's answer.

    Example:
        >>> helpers.checks.gateway_sends_token(cluster)
        ✓ the gateway sends the model's token, read from secret/model-token
    """

    def look(c) -> Verdict:
        try:
            dep = c.get("Deployment", GATEWAY)
        except NotFound:
            return Verdict(False, f"no deployment/{GATEWAY}", "Apply work/gateway.yaml.")
        container = dep["spec"]["template"]["spec"]["containers"][0]
        problem = _token_problem(container)
        model = c.get("Deployment", MODEL)["spec"]["template"]["spec"]["containers"][0]
        if not problem and not _reads_secret(model):
            problem = (
                f"deployment/{MODEL} no longer asks for the token: apply "
                "cluster/manifests/microservices/model-deployment.yaml again, whose "
                f"{TOKEN_ENV} comes from secret/{TOKEN_SECRET}."
            )
        if problem:
            names = [e.get("name") for e in container.get("env") or []]
            return Verdict(False, f"deployment/{GATEWAY}'s env: {', '.join(names)}", problem)
        ok, failure = _answers(c)
        seen = f"{TOKEN_ENV} from secret/{TOKEN_SECRET}; {ok} of {PROBES} requests answered"
        if ok == PROBES:
            return Verdict(True, seen)
        if "(401)" in failure:
            hint = (
                f"The model refuses the gateway's token: {failure}. Both read "
                f"secret/{TOKEN_SECRET} when their containers started; if it changed since "
                f'(created again), restart both: cluster.rollout_restart("{MODEL}") and '
                f'cluster.rollout_restart("{GATEWAY}").'
            )
        else:
            hint = (
                f"The gateway still fails: {failure}. Wait for its rollout "
                f'(cluster.wait_rollout("{GATEWAY}")) and look at its pods (cluster.pods()).'
            )
        return Verdict(False, f"{seen} ({failure})", hint, settling=_settling(c))

    goal = f"the gateway sends the model's token, read from secret/{TOKEN_SECRET}"
    return converge(cluster, goal, look)
