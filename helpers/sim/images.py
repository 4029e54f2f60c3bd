"""The kubelet's image manager: pulls, ErrImagePull and ImagePullBackOff.

Pulls always reach a registry that has no course image (they are loaded into the nodes,
as with `kind load`). A failed pull is retried after the documented capped exponential
back-off, 10 s, 20 s, 40 s ... up to 300 s, the same curve as crash restarts.
(kubernetes.io/docs/concepts/containers/images/#imagepullbackoff)
"""

from __future__ import annotations

# 1 s: a registry round trip for a pull (or a failed pull).
PULL_S = 1.0
# 1 s: the kubelet's next pod sync after a change (status moves from Error to back-off).
SYNC_S = 1.0
BACKOFF_START_S = 10.0
BACKOFF_MAX_S = 300.0


def next_backoff(current: float) -> float:
    """The delay after ``current``: 10 s first, then doubling, capped at 300 s."""
    return BACKOFF_START_S if current <= 0 else min(current * 2, BACKOFF_MAX_S)


class ImagePuller:
    """Pulls a pod's image for its kubelet, which writes the resulting container state."""

    def __init__(self, kubelet):
        self.kubelet = kubelet

    def pull(self, pod) -> None:
        """Start the container if its image is present (and may be used), else pull it."""
        kubelet, plan = self.kubelet, pod.plan
        policy = pod.spec["containers"][0].get("imagePullPolicy", "IfNotPresent")
        present = kubelet.image_exists(plan.image)
        if present and policy != "Always":
            msg = f'Container image "{plan.image}" already present on machine'
            kubelet.event(pod, "Normal", "Pulled", msg)
            kubelet.create(pod)
            return
        if policy == "Never":
            self._failed(
                pod, "ErrImageNeverPull", "Container image is not present with pull policy of Never"
            )
            return
        # The course images are loaded into the nodes (kind load), not published in any
        # registry: a pull, even imagePullPolicy: Always of a loaded image, fails as on kind.
        kubelet.event(pod, "Normal", "Pulling", f'Pulling image "{plan.image}"')
        kubelet.later(PULL_S, self._pulled, pod)

    def _pulled(self, pod) -> None:
        image = pod.plan.image
        why = (
            f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull '
            f'and unpack image "{image}": not found'
        )
        self.kubelet.event(pod, "Warning", "Failed", why)
        self._failed(pod, "ErrImagePull", why)

    def _failed(self, pod, reason: str, why: str) -> None:
        self.kubelet.event(pod, "Warning", "Failed", f"Error: {reason}")
        self.kubelet.waiting(pod, reason, why)
        pod.pull_backoff = next_backoff(pod.pull_backoff)
        self.kubelet.later(SYNC_S, self._backoff, pod, pod.pull_backoff)

    def _backoff(self, pod, delay: float) -> None:
        image, kubelet = pod.plan.image, self.kubelet
        kubelet.event(pod, "Normal", "BackOff", f'Back-off pulling image "{image}"')
        kubelet.event(pod, "Warning", "Failed", "Error: ImagePullBackOff")
        kubelet.waiting(pod, "ImagePullBackOff", f'Back-off pulling image "{image}"')
        kubelet.later(max(delay - SYNC_S, 0.0), self.pull, pod)
