# Deployment rules checked before a manifest reaches Git or the cluster (the seed guide's
# conftest policy, package main). Query data.main.deny: every message is a reason to reject.
package main

deny contains msg if {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := "Containers must not run as root"
}

deny contains msg if {
	input.kind == "Deployment"
	some container in input.spec.template.spec.containers
	container.securityContext.privileged == true
	msg := sprintf("Container %s is privileged", [container.name])
}

deny contains msg if {
	input.kind == "Deployment"
	not input.spec.template.metadata.labels["app.kubernetes.io/name"]
	msg := "Deployment must have standard labels"
}
