package signetverification

import data.testlib

signed_pod := testlib.pod({"containers": testlib.containers(["registry.test/app:1.0"])}, {})

untrusted_answer(request) := testlib.answer(
	[[key, {"isSuccess": false, "verifierReports": [{"isSuccess": false, "message": "certificate is not trusted"}]}] |
		some key in request.keys
	],
	[],
	"",
)

bare_failure_answer(request) := testlib.answer([[key, {"isSuccess": false}] | some key in request.keys], [], "")

test_all_signed_no_violation if {
	results := violation with input as testlib.pod(
		{
			"containers": testlib.containers(["registry.test/app:1.0", "registry.test/sidecar:2"]),
			"initContainers": testlib.containers(["registry.test/init:1"]),
		},
		{},
	)
		with external_data as testlib.all_signed_but_unsigned
	count(results) == 0
}

test_unsigned_init_container_one_violation if {
	results := violation with input as testlib.pod(
		{
			"containers": testlib.containers(["registry.test/app:1.0"]),
			"initContainers": testlib.containers(["registry.test/unsigned:1"]),
		},
		{},
	)
		with external_data as testlib.all_signed_but_unsigned
	results == {{"msg": "image verification failed for registry.test/unsigned:1: signature not found"}}
}

test_unsigned_ephemeral_container_violation if {
	results := violation with input as testlib.pod(
		{
			"containers": testlib.containers(["registry.test/app:1.0"]),
			"ephemeralContainers": testlib.containers(["registry.test/unsigned-debug:1"]),
		},
		{},
	)
		with external_data as testlib.all_signed_but_unsigned
	count(results) == 1
}

test_message_without_prefix_is_wrapped if {
	results := violation with input as signed_pod
		with external_data as untrusted_answer
	results == {{"msg": "image verification failed for registry.test/app:1.0: certificate is not trusted"}}
}

test_failure_without_message_still_denied if {
	results := violation with input as signed_pod
		with external_data as bare_failure_answer
	results == {{"msg": "image verification failed for registry.test/app:1.0: verification failed"}}
}

test_system_error_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.system_error_for_all
	{"msg": "external data provider ratify-provider reported a system error: TIMEOUT (pipeline): 1 keys"} in results
	{"msg": "image verification failed for registry.test/app:1.0: no result from external data provider ratify-provider"} in results
}

test_per_key_error_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.key_error_for_all
	results == {{"msg": "image verification failed for registry.test/app:1.0: REGISTRY_UNAVAILABLE: registry down"}}
}

test_missing_is_success_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.missing_is_success
	results == {{"msg": "image verification failed for registry.test/app:1.0: the provider's answer has no boolean isSuccess"}}
}

test_non_boolean_is_success_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.string_is_success
	count(results) == 1
}

test_null_value_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.null_value
	count(results) == 1
}

test_transient_key_absent_names_image if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.test/slow:1", "registry.test/app:1.0"])},
		{},
	)
		with external_data as testlib.first_key_absent
	{"msg": "image verification failed for registry.test/app:1.0: no result from external data provider ratify-provider"} in results
	{"msg": "external data provider ratify-provider reported a system error: TIMEOUT (resolve): image registry.test/app:1.0 timed out"} in results
	count(results) == 2
}

test_key_absent_without_system_error_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.absent_silently
	results == {{"msg": "image verification failed for registry.test/app:1.0: no result from external data provider ratify-provider"}}
}

test_excluded_image_no_violation if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.test/app:1.0", "registry.k8s.io/pause/unsigned:3.9"])},
		{"excludedImages": ["registry.k8s.io/**"]},
	)
		with external_data as testlib.all_signed_but_unsigned
	count(results) == 0
}

test_every_image_excluded_sends_no_request if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.k8s.io/pause:3.9"])},
		{"excludedImages": ["registry.k8s.io/*"]},
	)
		with external_data as testlib.absent_silently
	count(results) == 0
}

test_glob_star_stays_in_segment if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.k8s.io/sub/unsigned:1"])},
		{"excludedImages": ["registry.k8s.io/*"]},
	)
		with external_data as testlib.all_signed_but_unsigned
	count(results) == 1
}

test_required_verifier_missing_violation if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.test/app:1.0"])},
		{"requiredVerifiers": ["cosign"]},
	)
		with external_data as testlib.all_signed_but_unsigned
	results == {{"msg": "image verification failed for registry.test/app:1.0: no successful report from verifier cosign"}}
}

test_required_verifier_present_no_violation if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.test/app:1.0"])},
		{"requiredVerifiers": ["notation"]},
	)
		with external_data as testlib.all_signed_but_unsigned
	count(results) == 0
}

test_namespaced_keys_sent if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.test/app:1.0"])},
		{"namespacedKeys": true},
	)
		with external_data as testlib.echo_keys
	results == {{"msg": "image verification failed for registry.test/app:1.0: [default]registry.test/app:1.0"}}
}

namespaced_unsigned_answer(request) := testlib.answer(
	# signet names the image as the workload wrote it (the key without its "[namespace]" prefix).
	[[key, testlib.unsigned_value(testlib.image_of_key(key))] | some key in request.keys],
	[],
	"",
)

test_namespaced_key_prefix_not_doubled if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.test/app:1.0"])},
		{"namespacedKeys": true},
	)
		with external_data as namespaced_unsigned_answer
	results == {{"msg": "image verification failed for registry.test/app:1.0: signature not found"}}
}

test_normalized_reference_message_kept if {
	results := violation with input as testlib.pod({"containers": testlib.containers(["alpine:3.11"])}, {})
		with external_data as normalized_answer
	results == {{"msg": "image verification failed for docker.io/library/alpine:3.11: signature not found"}}
}

normalized_answer(request) := testlib.answer(
	[[key, testlib.unsigned_value("docker.io/library/alpine:3.11")] | some key in request.keys],
	[],
	"",
)

described_error_answer(request) := testlib.answer(
	[],
	[[key, sprintf("REGISTRY_UNAVAILABLE (resolve): image verification failed for %s: registry down", [key])] |
		some key in request.keys
	],
	"",
)

test_described_key_error_not_doubled if {
	results := violation with input as signed_pod
		with external_data as described_error_answer
	results == {{"msg": "REGISTRY_UNAVAILABLE (resolve): image verification failed for registry.test/app:1.0: registry down"}}
}

test_namespaced_keys_without_namespace_send_plain_reference if {
	results := violation with input as {
		"review": {"object": {"kind": "Pod", "metadata": {"name": "demo"}, "spec": {"containers": testlib.containers(["registry.test/app:1.0"])}}},
		"parameters": {"namespacedKeys": true},
	}
		with external_data as testlib.echo_keys
	results == {{"msg": "image verification failed for registry.test/app:1.0: registry.test/app:1.0"}}
}

test_review_namespace_used_when_metadata_has_none if {
	results := violation with input as {
		"review": {
			"namespace": "team-a",
			"object": {"kind": "Pod", "metadata": {"name": "demo"}, "spec": {"containers": testlib.containers(["registry.test/app:1.0"])}},
		},
		"parameters": {"namespacedKeys": true},
	}
		with external_data as testlib.echo_keys
	results == {{"msg": "image verification failed for registry.test/app:1.0: [team-a]registry.test/app:1.0"}}
}

test_custom_provider_named if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.test/app:1.0"])},
		{"provider": "signet"},
	)
		with external_data as testlib.absent_silently
	results == {{"msg": "image verification failed for registry.test/app:1.0: no result from external data provider signet"}}
}

test_deployment_judged_by_all_images if {
	results := violation with input as testlib.workload(
		"Deployment",
		{
			"containers": testlib.containers(["registry.test/unsigned-app:1"]),
			"initContainers": testlib.containers(["registry.test/unsigned-init:1"]),
		},
		{},
	)
		with external_data as testlib.all_signed_but_unsigned
	count(results) == 2
}

test_every_template_kind_checked if {
	every kind in template_kinds {
		results := violation with input as testlib.workload(kind, {"containers": testlib.containers(["registry.test/unsigned:1"])}, {})
			with external_data as testlib.all_signed_but_unsigned
		count(results) == 1
	}
}

test_cronjob_judged if {
	results := violation with input as testlib.cronjob({"containers": testlib.containers(["registry.test/unsigned:1"])}, {})
		with external_data as testlib.all_signed_but_unsigned
	count(results) == 1
}

test_other_kind_ignored if {
	results := violation with input as {"review": {"object": {"kind": "ConfigMap", "metadata": {"name": "x"}}}}
		with external_data as testlib.absent_silently
	count(results) == 0
}

not_attested_answer(request) := testlib.answer(
	[[key, {"isSuccess": false, "verifierReports": [{
		"isSuccess": false,
		"message": "image alpine:3.11 is not attested",
		"extensions": {"code": "NOT_ATTESTED", "stage": "decide"},
	}]}] |
		some key in request.keys
	],
	[],
	"",
)

test_attestor_message_is_kept_verbatim if {
	results := violation with input as testlib.pod({"containers": testlib.containers(["alpine:3.11"])}, {})
		with external_data as not_attested_answer
	results == {{"msg": "image alpine:3.11 is not attested"}}
}

coded_reports_answer(request) := testlib.answer(
	[[key, {"isSuccess": false, "verifierReports": [object.union(testlib.notation_report(false, "signature verification failed: revocation validation failed. Failure reason: the signing certificate is revoked"), {"extensions": {"code": "REVOKED", "stage": "verify"}})]}] |
		some key in request.keys
	],
	[],
	"",
)

test_verifier_report_with_code_names_the_image if {
	results := violation with input as signed_pod
		with external_data as coded_reports_answer
	results == {{"msg": "image verification failed for registry.test/app:1.0: signature verification failed: revocation validation failed. Failure reason: the signing certificate is revoked"}}
}

limit_answer(request) := testlib.answer(
	[[key, {"isSuccess": false, "verifierReports": [{
		"isSuccess": false,
		"message": "image verification failed for registry.test/app@sha256:00: 40 signatures found, more than the limit of 32 per image",
		"errorReason": "40 signatures found, more than the limit of 32 per image",
		"extensions": {"code": "LIMIT_EXCEEDED", "stage": "discover"},
	}]}] |
		some key in request.keys
	],
	[],
	"",
)

test_coded_error_report_kept_as_signet_worded_it if {
	results := violation with input as signed_pod
		with external_data as limit_answer
	results == {{"msg": "image verification failed for registry.test/app@sha256:00: 40 signatures found, more than the limit of 32 per image"}}
}
