package system

review := {
	"apiVersion": "admission.k8s.io/v1",
	"kind": "AdmissionReview",
	"request": {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "operation": "CREATE", "object": {"kind": "Deployment"}},
}

test_allowed_when_nothing_denies if {
	r := main with input as review with data.main.deny as set()
	r.response == {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002", "allowed": true}
}

test_denied_with_every_reason if {
	r := main with input as review with data.main.deny as {"b reason", "a reason"}
	r.response.allowed == false
	r.response.status == {"code": 403, "message": "a reason; b reason"}
	r.kind == "AdmissionReview"
}
