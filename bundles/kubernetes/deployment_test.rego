package main

good_deployment := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {
		"metadata": {"labels": {"app.kubernetes.io/name": "web"}},
		"spec": {
			"securityContext": {"runAsNonRoot": true},
			"containers": [{"name": "web", "image": "registry.example.com/web:1.4.2"}],
		},
	}},
}

test_good_deployment_passes if {
	count(deny) == 0 with input as good_deployment
}

test_root_is_denied if {
	d := json.remove(good_deployment, ["spec/template/spec/securityContext"])
	"Containers must not run as root" in deny with input as d
}

test_privileged_container_is_denied if {
	d := json.patch(good_deployment, [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext", "value": {"privileged": true}}])
	"Container web is privileged" in deny with input as d
}

test_missing_labels_are_denied if {
	d := json.remove(good_deployment, ["spec/template/metadata/labels"])
	"Deployment must have standard labels" in deny with input as d
}

test_other_kinds_are_ignored if {
	count(deny) == 0 with input as {"kind": "Service", "spec": {}}
}
