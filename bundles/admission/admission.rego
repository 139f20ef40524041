# Validating admission: the kube-apiserver POSTs an AdmissionReview to / and gets one back. The
# Deployment rules of package main (bundle kubernetes) decide, applied to the reviewed object.
package system

main := {
	"apiVersion": "admission.k8s.io/v1",
	"kind": "AdmissionReview",
	"response": response,
}

denials := d if {
	d := data.main.deny with input as input.request.object
}

default denials := set()

response := {"uid": input.request.uid, "allowed": true} if count(denials) == 0

response := {
	"uid": input.request.uid,
	"allowed": false,
	"status": {"code": 403, "message": concat("; ", sort(denials))},
} if count(denials) > 0
