package canary

flagger_request := {
	"name": "api-service",
	"namespace": "production",
	"phase": "Progressing",
	"checksum": "85d557f47b",
	"metadata": {"image_signature_valid": "true", "critical_vulnerabilities": "0", "istio_sidecar": "true"},
}

# 2024-11-28 was a Thursday, 2024-11-30 a Saturday.
thursday_ns := time.parse_rfc3339_ns("2024-11-28T10:00:00Z")

saturday_ns := time.parse_rfc3339_ns("2024-11-30T10:00:00Z")

test_clean_rollout_is_allowed if {
	allow with input as flagger_request
	count(deny) == 0 with input as flagger_request
}

test_vulnerable_image_is_not_allowed if {
	req := json.patch(flagger_request, [{"op": "replace", "path": "/metadata/critical_vulnerabilities", "value": "3"}])
	not allow with input as req
	"image has 3 critical vulnerabilities" in deny with input as req
}

test_vulnerability_count_must_be_a_number if {
	req := json.patch(flagger_request, [{"op": "replace", "path": "/metadata/critical_vulnerabilities", "value": "none"}])
	deny == {`webhook metadata critical_vulnerabilities must be a whole number, got "none"`} with input as req
}

test_unsigned_image_is_not_allowed if {
	req := json.patch(flagger_request, [{"op": "replace", "path": "/metadata/image_signature_valid", "value": "false"}])
	not allow with input as req
}

test_missing_metadata_is_not_allowed if {
	req := json.remove(flagger_request, ["metadata/istio_sidecar"])
	"webhook metadata istio_sidecar is missing" in deny with input as req
}

test_no_metadata_at_all_lists_every_key if {
	req := json.remove(flagger_request, ["metadata"])
	count(deny) == 3 with input as req
}

test_failed_phase_is_not_allowed if {
	req := json.patch(flagger_request, [{"op": "replace", "path": "/phase", "value": "Failed"}])
	not allow with input as req
}

test_promotion_on_a_weekday if {
	promote with input as flagger_request with time.now_ns as thursday_ns
}

test_no_promotion_on_a_weekend if {
	not promote with input as flagger_request with time.now_ns as saturday_ns
}

test_rollback_only_when_asked if {
	not rollback with input as flagger_request
	req := json.patch(flagger_request, [{"op": "add", "path": "/metadata/emergency_rollback", "value": "true"}])
	rollback with input as req
}
