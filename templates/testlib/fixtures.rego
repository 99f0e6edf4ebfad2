# METADATA
# description: >-
#   Admission inputs and mocked external_data answers shared by the templates' tests (never part
#   of a ConstraintTemplate).
package testlib

pod(spec, parameters) := {
	"review": {"object": {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "demo", "namespace": "default"},
		"spec": spec,
	}},
	"parameters": parameters,
}

workload(kind, pod_spec, parameters) := {
	"review": {"object": {
		"kind": kind,
		"metadata": {"name": "demo", "namespace": "default"},
		"spec": {"template": {"spec": pod_spec}},
	}},
	"parameters": parameters,
}

cronjob(pod_spec, parameters) := {
	"review": {"object": {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "demo", "namespace": "default"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec}}}},
	}},
	"parameters": parameters,
}

containers(images) := [{"name": sprintf("c%d", [i]), "image": image} | some i, image in images]

notation_report(success, message) := {
	"subject": "subject",
	"isSuccess": success,
	"name": "notation",
	"verifierName": "notation",
	"type": "notation",
	"verifierType": "notation",
	"message": message,
	"extensions": {
		"Issuer": "CN=signet-test,O=Notary,L=Seattle,ST=WA,C=US",
		"SN": "CN=signet-test,O=Notary,L=Seattle,ST=WA,C=US",
	},
}

signed_value := {"isSuccess": true, "verifierReports": [notation_report(true, "signature verified")]}

unsigned_value(image) := {
	"isSuccess": false,
	"verifierReports": [{
		"isSuccess": false,
		"message": sprintf("image verification failed for %s: signature not found", [image]),
		"errorReason": "signature not found",
		"extensions": {"code": "SIGNATURE_NOT_FOUND", "stage": "discover"},
	}],
}

answer(responses, errors, system_error) := {
	"responses": responses,
	"errors": errors,
	"status_code": 200,
	"system_error": system_error,
}

# The key's image, whether or not it carries a "[namespace]" prefix.
image_of_key(key) := substring(key, indexof(key, "]") + 1, -1) if startswith(key, "[")

image_of_key(key) := key if not startswith(key, "[")

# Every key signed, except images whose name contains "unsigned".
all_signed_but_unsigned(request) := answer(
	[[key, value_for(key)] | some key in request.keys],
	[],
	"",
)

value_for(key) := unsigned_value(image_of_key(key)) if contains(key, "unsigned")

value_for(key) := signed_value if not contains(key, "unsigned")

system_error_for_all(request) := answer([], [], sprintf("TIMEOUT (pipeline): %d keys", [count(request.keys)]))

key_error_for_all(request) := answer([], [[key, "REGISTRY_UNAVAILABLE: registry down"] | some key in request.keys], "")

missing_is_success(request) := answer([[key, {"verifierReports": []}] | some key in request.keys], [], "")

string_is_success(request) := answer([[key, {"isSuccess": "true", "verifierReports": []}] | some key in request.keys], [], "")

null_value(request) := answer([[key, null] | some key in request.keys], [], "")

# Transient failures: signet leaves the key out of items and names it in systemError.
first_key_absent(request) := answer(
	[[key, signed_value] | some i, key in request.keys; i > 0],
	[],
	sprintf("TIMEOUT (resolve): image %s timed out", [request.keys[0]]),
)

absent_silently(_) := answer([], [], "")

# Records the keys it was asked for in the value, so tests can check what was sent.
echo_keys(request) := answer([[key, {"isSuccess": false, "verifierReports": [{"isSuccess": false, "message": key}]}] | some key in request.keys], [], "")

# The provider the samples are written against: "unsigned" images fail, "other-issuer" images are
# signed by a certificate from another issuer, every other image is signed by the test issuer.
sample_provider(request) := answer([[key, sample_value(key)] | some key in request.keys], [], "")

sample_value(key) := unsigned_value(image_of_key(key)) if contains(key, "unsigned")

sample_value(key) := {"isSuccess": true, "verifierReports": [object.union(
	notation_report(true, "signature verified"),
	{"extensions": {"Issuer": "CN=other,O=Other,C=US", "SN": "CN=other,O=Other,C=US"}},
)]} if {
	contains(key, "other-issuer")
}

sample_value(key) := signed_value if {
	not contains(key, "unsigned")
	not contains(key, "other-issuer")
}
