package ratifyverification

import data.testlib

signed_pod := testlib.pod({"containers": testlib.containers(["registry.test/app:1.0"])}, {})

test_all_signed_no_violation if {
	results := violation with input as testlib.pod(
		{
			"containers": testlib.containers(["registry.test/app:1.0"]),
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
	results == {{"msg": "Subject failed verification: registry.test/unsigned:1"}}
}

test_system_error_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.system_error_for_all
	{"msg": "System error calling external data provider: TIMEOUT (pipeline): 1 keys"} in results
}

test_per_key_error_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.key_error_for_all
	results == {{"msg": `Error validating one or more images: [["registry.test/app:1.0", "REGISTRY_UNAVAILABLE: registry down"]]`}}
}

test_missing_is_success_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.missing_is_success
	results == {{"msg": "Subject has no boolean isSuccess in its verification result: registry.test/app:1.0"}}
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

test_key_absent_violation if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.test/slow:1", "registry.test/app:1.0"])},
		{},
	)
		with external_data as testlib.first_key_absent
	{"msg": "Subject has no verification result: registry.test/slow:1"} in results
	count(results) == 2
}

test_key_absent_without_system_error_violation if {
	results := violation with input as signed_pod
		with external_data as testlib.absent_silently
	results == {{"msg": "Subject has no verification result: registry.test/app:1.0"}}
}

test_no_images_no_request if {
	results := violation with input as {"review": {"object": {"kind": "ConfigMap", "metadata": {"name": "x"}}}}
		with external_data as testlib.absent_silently
	count(results) == 0
}
