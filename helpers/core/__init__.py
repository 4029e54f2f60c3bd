"""The core both backends share: the Cluster interface and the pure parts under it.

``api`` (the Cluster interface, verbs written once), ``manifests`` (reading and merging
YAML), ``labels`` (selectors), ``rollout`` (rollout status as kubectl computes it),
``state`` (the snapshot the views read) and ``traffic`` (load schedules and results).
Nothing here knows a backend, a widget or a notebook.
"""
