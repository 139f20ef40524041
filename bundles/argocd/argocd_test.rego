package argocd

statefulset := {
	"kind": "StatefulSet",
	"metadata": {"name": "db", "namespace": "data"},
	"spec": {"template": {"spec": {"containers": [{"name": "db", "resources": {"limits": {"cpu": "2", "memory": "4Gi"}}}]}}},
}

test_statefulset_with_limits_passes if {
	count(deny) == 0 with input as statefulset
}

test_missing_cpu_limit_is_denied if {
	s := json.remove(statefulset, ["spec/template/spec/containers/0/resources/limits/cpu"])
	"Container db missing CPU limit" in deny with input as s
}

test_default_namespace_is_denied if {
	s := json.patch(statefulset, [{"op": "replace", "path": "/metadata/namespace", "value": "default"}])
	"Resources must not be deployed to default or kube-public namespaces" in deny with input as s
}

test_public_load_balancer_is_denied if {
	svc := {"kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"type": "LoadBalancer"}}
	"LoadBalancer services must be internal" in deny with input as svc
}

test_internal_load_balancer_passes if {
	svc := {
		"kind": "Service",
		"metadata": {"name": "web", "namespace": "shop", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}},
		"spec": {"type": "LoadBalancer"},
	}
	count(deny) == 0 with input as svc
}

test_privileged_deployment_is_denied if {
	d := {
		"kind": "Deployment",
		"metadata": {"namespace": "shop"},
		"spec": {"template": {"spec": {
			"securityContext": {"runAsNonRoot": true},
			"containers": [{"name": "app", "securityContext": {"privileged": true}, "resources": {"limits": {"cpu": "1"}}}],
		}}},
	}
	deny == {"Privileged container not allowed: app"} with input as d
}
