package signetdigestonly

import data.testlib

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

test_digest_reference_no_violation if {
	results := violation with input as testlib.pod(
		{
			"containers": testlib.containers([sprintf("alpine@%s", [digest])]),
			"initContainers": testlib.containers([sprintf("registry.test/init:1@%s", [digest])]),
		},
		{},
	)
	count(results) == 0
}

test_tag_reference_not_attested if {
	results := violation with input as testlib.pod({"containers": testlib.containers(["alpine:3.11"])}, {})
	results == {{"msg": "image alpine:3.11 is not attested"}}
}

test_tag_in_init_container_one_violation if {
	results := violation with input as testlib.pod(
		{
			"containers": testlib.containers([sprintf("alpine@%s", [digest])]),
			"initContainers": testlib.containers(["registry.test/init:1"]),
		},
		{},
	)
	results == {{"msg": "image registry.test/init:1 is not attested"}}
}

test_implicit_latest_not_attested if {
	results := violation with input as testlib.pod({"containers": testlib.containers(["alpine"])}, {})
	results == {{"msg": "image alpine is not attested"}}
}

test_short_digest_not_attested if {
	results := violation with input as testlib.pod({"containers": testlib.containers(["alpine@sha256:0123"])}, {})
	count(results) == 1
}

test_other_algorithm_not_attested if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers([sprintf("alpine@sha512:%s", [substring(digest, 7, -1)])])},
		{},
	)
	count(results) == 1
}

test_digest_message_style if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["alpine:3.11"])},
		{"messageStyle": "digest"},
	)
	results == {{"msg": "image alpine:3.11 is not referenced by a sha256 digest"}}
}

test_excluded_image_no_violation if {
	results := violation with input as testlib.pod(
		{"containers": testlib.containers(["registry.k8s.io/pause:3.9"])},
		{"excludedImages": ["registry.k8s.io/*"]},
	)
	count(results) == 0
}

test_cronjob_judged if {
	results := violation with input as testlib.cronjob({"containers": testlib.containers(["alpine:3.11"])}, {})
	results == {{"msg": "image alpine:3.11 is not attested"}}
}

test_every_template_kind_checked if {
	every kind in template_kinds {
		results := violation with input as testlib.workload(kind, {"containers": testlib.containers(["alpine:3.11"])}, {})
		count(results) == 1
	}
}
