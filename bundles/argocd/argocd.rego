# Rules for resources an ArgoCD Application syncs (the seed guide's argocd policies, merged).
# Query data.argocd.deny.
package argocd

workload_kinds := {"Deployment", "StatefulSet"}

forbidden_namespaces := {"default", "kube-public"}

deny contains msg if {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := "Containers must not run as root"
}

deny contains msg if {
	input.kind == "Deployment"
	some container in input.spec.template.spec.containers
	container.securityContext.privileged == true
	msg := sprintf("Privileged container not allowed: %s", [container.name])
}

deny contains msg if {
	input.kind in workload_kinds
	some container in input.spec.template.spec.containers
	not container.resources.limits.cpu
	msg := sprintf("Container %s missing CPU limit", [container.name])
}

deny contains msg if {
	input.metadata.namespace in forbidden_namespaces
	msg := "Resources must not be deployed to default or kube-public namespaces"
}

deny contains msg if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	not input.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-internal"]
	msg := "LoadBalancer services must be internal"
}
