# Flagger pre-rollout gate. Flagger POSTs {"name","namespace","phase","checksum","metadata"} where
# every metadata value is a string (the Canary's webhook metadata). Point the webhook at
#   url: http://arbiter:8181/v0/data/canary/allow   (token: the tenant in the URL userinfo or
#   the /tenants/{t}/v0/data/canary/allow form)
# The body is the input; an undefined `allow` answers 404, which Flagger treats as a failed check.
# So `allow` has no default: `false` would answer 200 and let the rollout through.
package canary

required_metadata := {"image_signature_valid", "critical_vulnerabilities", "istio_sidecar"}

allow if {
	count(deny) == 0
}

deny contains msg if {
	some key in required_metadata
	not input.metadata[key]
	msg := sprintf("webhook metadata %s is missing", [key])
}

deny contains "image signature is not valid" if {
	input.metadata.image_signature_valid
	input.metadata.image_signature_valid != "true"
}

deny contains msg if {
	n := to_number(input.metadata.critical_vulnerabilities)
	n > 0
	msg := sprintf("image has %d critical vulnerabilities", [n])
}

deny contains "service mesh sidecar is not injected" if {
	input.metadata.istio_sidecar
	input.metadata.istio_sidecar != "true"
}

deny contains msg if {
	not input.phase in {"Progressing", "Initializing", "Waiting", "Initialized"}
	msg := sprintf("phase %v does not allow a rollout", [input.phase])
}
