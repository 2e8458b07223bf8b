"""K8S rules: Kubernetes nodes, container runtimes, Calico and Istio (catalogue rows K8S1xx)."""
