"""What students look at: the live ClusterView widget, plotly figures and progress lines.

Views read only the shared cluster interface (``snapshot``, ``subscribe``, ``events``) and
the row shapes of helpers.core.state; they never import a backend. Nothing loads on import:
``helpers.ClusterView`` and ``helpers.plots`` resolve to these modules on first use.
"""
