# Flagger gate for canary releases (docs/flagger.md). Flagger POSTs the same payload to every hook:
#   {"name": "api-service", "namespace": "production", "phase": "Progressing",
#    "checksum": "85d557f47b", "metadata": {"image_signature_valid": "true", ...}}
# where every metadata value is a string ("true", "0"), never a boolean or a number.
#
# Webhook URLs (the token as URL user info, or in metadata.token):
#   pre-rollout, confirm-rollout   /tenants/demo/flagger/canary           this package: any deny
#                                  message halts (403 with the messages) and allow must be true
#   confirm-promotion              /tenants/demo/flagger/canary/promote
#   rollback                       /tenants/demo/flagger/canary/rollback  inverted: 200 = roll back now
package canary

required_metadata := {"image_signature_valid", "critical_vulnerabilities", "istio_sidecar"}

rollout_phases := {"Initializing", "Initialized", "Waiting", "Progressing", "WaitingPromotion"}

allow if count(deny) == 0

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
	value := input.metadata.critical_vulnerabilities
	not regex.match(`^[0-9]+$`, value)
	msg := sprintf("webhook metadata critical_vulnerabilities must be a whole number, got %q", [value])
}

deny contains msg if {
	regex.match(`^[0-9]+$`, input.metadata.critical_vulnerabilities)
	n := to_number(input.metadata.critical_vulnerabilities)
	n > 0
	msg := sprintf("image has %d critical vulnerabilities", [n])
}

deny contains "service mesh sidecar is not injected" if {
	input.metadata.istio_sidecar
	input.metadata.istio_sidecar != "true"
}

deny contains msg if {
	not input.phase in rollout_phases
	msg := sprintf("phase %v does not allow a rollout", [input.phase])
}

# Promotion to full traffic: the rollout checks still hold, and never on a weekend (UTC).
promote if {
	count(deny) == 0
	not weekend
}

weekend if time.weekday(time.now_ns()) in {"Saturday", "Sunday"}

# A rollback hook is asked every analysis interval; true means "roll back now". Set the Canary's
# webhook metadata emergency_rollback: "true" in Git to stop a release that is under analysis.
rollback if input.metadata.emergency_rollback == "true"
