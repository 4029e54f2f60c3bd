"""The kube backend (built in its own issue)."""
