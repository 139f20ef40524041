package canary

flagger_request := {
	"name": "api-service",
	"namespace": "production",
	"phase": "Progressing",
	"checksum": "85d557f47b",
	"metadata": {"image_signature_valid": "true", "critical_vulnerabilities": "0", "istio_sidecar": "true"},
}

test_clean_rollout_is_allowed if {
	allow with input as flagger_request
}

test_vulnerable_image_is_not_allowed if {
	req := json.patch(flagger_request, [{"op": "replace", "path": "/metadata/critical_vulnerabilities", "value": "3"}])
	not allow with input as req
	"image has 3 critical vulnerabilities" in deny with input as req
}

test_unsigned_image_is_not_allowed if {
	req := json.patch(flagger_request, [{"op": "replace", "path": "/metadata/image_signature_valid", "value": "false"}])
	not allow with input as req
}

test_missing_metadata_is_not_allowed if {
	req := json.remove(flagger_request, ["metadata/istio_sidecar"])
	"webhook metadata istio_sidecar is missing" in deny with input as req
}

test_failed_phase_is_not_allowed if {
	req := json.patch(flagger_request, [{"op": "replace", "path": "/phase", "value": "Failed"}])
	not allow with input as req
}
