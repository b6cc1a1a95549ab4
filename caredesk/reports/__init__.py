"""SLA compliance reports: per-period numbers, monthly trend, the restoration 95 % goal, the what-if
replay of a reseller's cases under another package, CSV/JSON export and server-rendered SVG charts."""
