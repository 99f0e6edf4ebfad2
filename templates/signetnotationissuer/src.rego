# METADATA
# title: Signet notation issuer and subject
# description: >-
#   Requires every image of a Pod (containers, initContainers, ephemeralContainers) to carry a
#   notation signature whose leaf certificate has the given issuer and/or subject, as reported by
#   signet or Ratify in the notation report's extensions.Issuer / extensions.SN (Go pkix order,
#   e.g. "CN=signet-test,O=Notary,L=Seattle,ST=WA,C=US"). Compatible with Ratify's
#   notation-issuer-validation and notaryv2-subject-name-validation samples and their messages,
#   and fails closed on provider errors, missing answers and answers without a boolean isSuccess.
# custom:
#   version: 1.0.0
#   kind: SignetNotationIssuer
#   parameters:
#     provider:
#       type: string
#       default: ratify-provider
#       description: Name of the Gatekeeper Provider resource that points at signet.
#     issuer:
#       type: string
#       description: >-
#         Required issuer of the signing certificate, exactly as extensions.Issuer reports it
#         (Go pkix.Name order, e.g. "CN=signet-test,O=Notary,L=Seattle,ST=WA,C=US").
#     sn:
#       type: string
#       description: >-
#         Required subject of the signing certificate, exactly as extensions.SN reports it
#         (Go pkix.Name order).
package signetnotationissuer

provider := object.get(input, ["parameters", "provider"], "ratify-provider")

issuer := object.get(input, ["parameters", "issuer"], "")

subject_name := object.get(input, ["parameters", "sn"], "")

images := [container.image |
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some container in input.review.object.spec[field]
]

remote_data := external_data({"provider": provider, "keys": images}) if count(images) > 0

answered := {key | some [key, _] in remote_data.responses} | {key | some [key, _] in remote_data.errors}

notation_report(report) if "notation" in {
	object.get(report, "type", ""),
	object.get(report, "verifierType", ""),
	object.get(report, "name", ""),
}

identity_matches(report) if {
	issuer in {"", object.get(report, ["extensions", "Issuer"], null)}
	subject_name in {"", object.get(report, ["extensions", "SN"], null)}
}

identity := concat(", ", [part |
	some [label, value] in [["Issuer", issuer], ["SN", subject_name]]
	value != ""
	part := sprintf("%s: %s", [label, value])
])

violation contains {"msg": msg} if {
	some msg in general_violation
}

general_violation contains sprintf("System error calling external data provider: %s", [remote_data.system_error]) if {
	remote_data.system_error != ""
}

general_violation contains sprintf("Error validating one or more images: %v", [remote_data.errors]) if {
	count(remote_data.errors) > 0
}

general_violation contains sprintf("Subject has no verification result: %s", [image]) if {
	some image in images
	not image in answered
}

general_violation contains sprintf("Subject has no boolean isSuccess in its verification result: %s", [key]) if {
	some [key, result] in remote_data.responses
	not boolean_is_success(result)
}

general_violation contains sprintf("Failed to verify the artifact: %s", [key]) if {
	some [key, result] in remote_data.responses
	result.isSuccess == false
}

general_violation contains sprintf("Subject %s has no signatures for certificate with %s", [key, identity]) if {
	identity != ""
	some [key, result] in remote_data.responses
	matching := [report |
		some report in object.get(result, "verifierReports", [])
		notation_report(report)
		identity_matches(report)
	]
	count(matching) == 0
}

general_violation contains sprintf("Subject %s failed signature validation: %s", [key, object.get(report, "message", "")]) if {
	some [key, result] in remote_data.responses
	some report in object.get(result, "verifierReports", [])
	notation_report(report)
	identity_matches(report)
	report.isSuccess != true
}

# A helper, not `not is_boolean(result.isSuccess)`: OPA hoists the reference out of the negation, so a
# missing isSuccess (or a null value) would make the whole rule undefined instead of a violation.
boolean_is_success(result) if is_boolean(result.isSuccess)
