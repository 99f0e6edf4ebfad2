# METADATA
# title: Signet image verification
# description: >-
#   Requires every image of a pod-bearing workload (containers, initContainers and
#   ephemeralContainers of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets,
#   ReplicationControllers, Jobs and CronJobs) to be verified by the signet external data
#   provider. Fails closed: a provider system error, a per-image error, an image missing from
#   the answer or an answer without a boolean isSuccess is a violation naming the image.
# custom:
#   version: 1.0.0
#   kind: SignetVerification
#   parameters:
#     provider:
#       type: string
#       default: ratify-provider
#       description: Name of the Gatekeeper Provider resource that points at signet.
#     excludedImages:
#       type: array
#       description: >-
#         Image references that are not verified, as globs with "/" as the separator
#         ("*" stays within one path segment, "**" crosses them), e.g. "registry.k8s.io/**".
#       items:
#         type: string
#     requiredVerifiers:
#       type: array
#       description: >-
#         Verifier names (a report's name or verifierName) that must each have at least one
#         successful report for the image, on top of the overall isSuccess.
#       items:
#         type: string
#     namespacedKeys:
#       type: boolean
#       default: false
#       description: >-
#         Send "[namespace]image" keys so that signet applies the policy of the workload's
#         namespace.
package signetverification

provider := object.get(input, ["parameters", "provider"], "ratify-provider")

excluded_patterns := object.get(input, ["parameters", "excludedImages"], [])

required_verifiers := object.get(input, ["parameters", "requiredVerifiers"], [])

namespaced_keys := object.get(input, ["parameters", "namespacedKeys"], false)

template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

pod_spec := input.review.object.spec if input.review.object.kind == "Pod"

pod_spec := input.review.object.spec.template.spec if input.review.object.kind in template_kinds

pod_spec := input.review.object.spec.jobTemplate.spec.template.spec if input.review.object.kind == "CronJob"

images contains container.image if {
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some container in pod_spec[field]
	not excluded(container.image)
}

excluded(image) if {
	some pattern in excluded_patterns
	glob.match(pattern, ["/"], image)
}

# Audit reviews carry the namespace only in the object's metadata, admission reviews in both.
namespace := object.get(input.review, ["object", "metadata", "namespace"], object.get(input.review, "namespace", ""))

# Without a namespace (never for Pods) the plain reference is sent, so the image is still verified.
key_for(image) := sprintf("[%s]%s", [namespace, image]) if {
	namespaced_keys
	namespace != ""
}

key_for(image) := image if not namespaced_keys

key_for(image) := image if namespace == ""

image_by_key[key_for(image)] := image if some image in images

remote_data := external_data({"provider": provider, "keys": [key | some key, _ in image_by_key]}) if count(images) > 0

answered_keys := {key | some [key, _] in remote_data.responses} | {key | some [key, _] in remote_data.errors}

image_of(key) := object.get(image_by_key, key, key)

# Messages name the workload's image once. What signet already worded is told apart by its code, never by its
# English: a report with `extensions.code` and no verifier is signet's own report of a failure no verifier judged
# ("image verification failed for <ref>: signature not found", kritis' "image <ref> is not attested"), and an item
# error "<CODE> (<stage>): <message>" is a described SignetError; both are kept as they are.
verification_failed(key, reason) := concat("", [failed_prefix(image_of(key)), reason])

failed_prefix(ref) := sprintf("image verification failed for %s: ", [ref])

described_error(error) if {
	is_string(error)
	regex.match(`^[A-Z][A-Z_]* \([a-z]+\): `, error)
}

key_error_message(_, error) := error if described_error(error)

key_error_message(key, error) := verification_failed(key, sprintf("%v", [error])) if not described_error(error)

coded_error_report(report) if {
	is_string(report.extensions.code)
	not report.verifierName
	is_string(report.message)
	report.message != ""
}

failing_reports(result) := [report |
	some report in result.verifierReports
	report.isSuccess == false
]

failure_message(key, result) := report.message if {
	report := failing_reports(result)[0]
	coded_error_report(report)
} else := verification_failed(key, failure_reason(result))

violation contains {"msg": msg} if {
	remote_data.system_error != ""
	msg := sprintf("external data provider %s reported a system error: %s", [provider, remote_data.system_error])
}

violation contains {"msg": msg} if {
	some key, _ in image_by_key
	not key in answered_keys
	msg := verification_failed(key, sprintf("no result from external data provider %s", [provider]))
}

violation contains {"msg": msg} if {
	some [key, error] in remote_data.errors
	msg := key_error_message(key, error)
}

violation contains {"msg": msg} if {
	some [key, result] in remote_data.responses
	not boolean_is_success(result)
	msg := verification_failed(key, "the provider's answer has no boolean isSuccess")
}

violation contains {"msg": msg} if {
	some [key, result] in remote_data.responses
	result.isSuccess == false
	msg := failure_message(key, result)
}

violation contains {"msg": msg} if {
	some [key, result] in remote_data.responses
	result.isSuccess == true
	some verifier in required_verifiers
	not passed_verifier(result, verifier)
	msg := verification_failed(key, sprintf("no successful report from verifier %s", [verifier]))
}

passed_verifier(result, verifier) if {
	some report in result.verifierReports
	report.isSuccess == true
	verifier in {object.get(report, "name", ""), object.get(report, "verifierName", "")}
}

# The first failing report's message explains the verdict best; signet and Ratify both set it.
failure_reason(result) := reasons[0] if {
	reasons := [report.message |
		some report in result.verifierReports
		report.isSuccess == false
		is_string(report.message)
		report.message != ""
	]
	count(reasons) > 0
} else := "verification failed"

# A helper, not `not is_boolean(result.isSuccess)`: OPA hoists the reference out of the negation, so a
# missing isSuccess (or a null value) would make the whole rule undefined instead of a violation.
boolean_is_success(result) if is_boolean(result.isSuccess)
