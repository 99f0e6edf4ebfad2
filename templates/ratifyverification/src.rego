# METADATA
# title: Ratify verification (drop-in)
# description: >-
#   Drop-in for Ratify's library/default template: same template name, kind RatifyVerification,
#   provider ratify-provider and messages, checking the containers, initContainers and
#   ephemeralContainers of a Pod. Unlike Ratify's, it fails closed when an image is missing from
#   the provider's answer or its answer has no boolean isSuccess.
# custom:
#   version: 1.0.0
#   kind: RatifyVerification
package ratifyverification

images := [container.image |
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some container in input.review.object.spec[field]
]

remote_data := external_data({"provider": "ratify-provider", "keys": images}) if count(images) > 0

answered := {key | some [key, _] in remote_data.responses} | {key | some [key, _] in remote_data.errors}

violation contains {"msg": msg} if {
	some msg in general_violation
}

general_violation contains sprintf("System error calling external data provider: %s", [remote_data.system_error]) if {
	remote_data.system_error != ""
}

general_violation contains sprintf("Error validating one or more images: %v", [remote_data.errors]) if {
	count(remote_data.errors) > 0
}

general_violation contains sprintf("Subject failed verification: %s", [key]) if {
	some [key, result] in remote_data.responses
	result.isSuccess == false
}

# Fail-closed additions: Ratify's template lets these through.
general_violation contains sprintf("Subject has no verification result: %s", [image]) if {
	some image in images
	not image in answered
}

general_violation contains sprintf("Subject has no boolean isSuccess in its verification result: %s", [key]) if {
	some [key, result] in remote_data.responses
	not boolean_is_success(result)
}

# A helper, not `not is_boolean(result.isSuccess)`: OPA hoists the reference out of the negation, so a
# missing isSuccess (or a null value) would make the whole rule undefined instead of a violation.
boolean_is_success(result) if is_boolean(result.isSuccess)
