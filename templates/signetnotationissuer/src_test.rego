package signetnotationissuer

import data.testlib

issuer_dn := "CN=signet-test,O=Notary,L=Seattle,ST=WA,C=US"

signed_pod(parameters) := testlib.pod({"containers": testlib.containers(["registry.test/app:1.0"])}, parameters)

expired_answer(request) := testlib.answer(
	[[key, {"isSuccess": false, "verifierReports": [testlib.notation_report(false, "certificate expired")]}] |
		some key in request.keys
	],
	[],
	"",
)

test_all_signed_by_issuer_no_violation if {
	results := violation with input as testlib.pod(
		{
			"containers": testlib.containers(["registry.test/app:1.0"]),
			"initContainers": testlib.containers(["registry.test/init:1"]),
		},
		{"issuer": issuer_dn, "sn": issuer_dn},
	)
		with external_data as testlib.all_signed_but_unsigned
	count(results) == 0
}

test_other_issuer_violation if {
	results := violation with input as signed_pod({"issuer": "CN=other,O=Notary,C=US"})
		with external_data as testlib.all_signed_but_unsigned
	results == {{"msg": "Subject registry.test/app:1.0 has no signatures for certificate with Issuer: CN=other,O=Notary,C=US"}}
}

test_other_subject_violation if {
	results := violation with input as signed_pod({"sn": "CN=other"})
		with external_data as testlib.all_signed_but_unsigned
	results == {{"msg": "Subject registry.test/app:1.0 has no signatures for certificate with SN: CN=other"}}
}

test_failed_report_of_issuer_violation if {
	results := violation with input as signed_pod({"issuer": issuer_dn})
		with external_data as expired_answer
	results == {
		{"msg": "Failed to verify the artifact: registry.test/app:1.0"},
		{"msg": "Subject registry.test/app:1.0 failed signature validation: certificate expired"},
	}
}

test_unsigned_init_container_violation if {
	results := violation with input as testlib.pod(
		{
			"containers": testlib.containers(["registry.test/app:1.0"]),
			"initContainers": testlib.containers(["registry.test/unsigned:1"]),
		},
		{"issuer": issuer_dn},
	)
		with external_data as testlib.all_signed_but_unsigned
	results == {
		{"msg": "Failed to verify the artifact: registry.test/unsigned:1"},
		{"msg": sprintf("Subject registry.test/unsigned:1 has no signatures for certificate with Issuer: %s", [issuer_dn])},
	}
}

test_system_error_violation if {
	results := violation with input as signed_pod({"issuer": issuer_dn})
		with external_data as testlib.system_error_for_all
	{"msg": "System error calling external data provider: TIMEOUT (pipeline): 1 keys"} in results
}

test_per_key_error_violation if {
	results := violation with input as signed_pod({"issuer": issuer_dn})
		with external_data as testlib.key_error_for_all
	count(results) == 1
}

test_missing_is_success_violation if {
	results := violation with input as signed_pod({})
		with external_data as testlib.missing_is_success
	results == {{"msg": "Subject has no boolean isSuccess in its verification result: registry.test/app:1.0"}}
}

test_non_boolean_is_success_violation if {
	results := violation with input as signed_pod({})
		with external_data as testlib.string_is_success
	count(results) == 1
}

test_key_absent_violation if {
	results := violation with input as signed_pod({"issuer": issuer_dn})
		with external_data as testlib.absent_silently
	results == {{"msg": "Subject has no verification result: registry.test/app:1.0"}}
}
