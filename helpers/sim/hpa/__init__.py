"""The HorizontalPodAutoscaler controller, after kube-controller-manager's podautoscaler.

``controller`` runs the 15 s sync loop, ``replicas`` computes the desired count from
metrics, ``rules`` applies the scale-up/down behaviour and stabilization windows,
``validate`` checks an autoscaling/v2 spec as the API server does.
"""

from __future__ import annotations

from helpers.sim.hpa.controller import SYNC_PERIOD_S, HPAController

__all__ = ["SYNC_PERIOD_S", "HPAController"]
