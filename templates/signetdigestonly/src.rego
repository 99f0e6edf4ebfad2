# METADATA
# title: Signet digest-only images
# description: >-
#   Requires every image of a pod-bearing workload (containers, initContainers and
#   ephemeralContainers of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets,
#   ReplicationControllers, Jobs and CronJobs) to be referenced by digest (@sha256:…), so that
#   the attested digest is the one that runs. Combined with signet's attestor policy a tag
#   reference reads like Kritis: "image alpine:3.11 is not attested".
# custom:
#   version: 1.0.0
#   kind: SignetDigestOnly
#   parameters:
#     excludedImages:
#       type: array
#       description: >-
#         Image references that may use a tag, as globs with "/" as the separator ("*" stays
#         within one path segment, "**" crosses them), e.g. "registry.k8s.io/**".
#       items:
#         type: string
#     messageStyle:
#       type: string
#       enum:
#         - attestation
#         - digest
#       default: attestation
#       description: >-
#         "attestation" reports "image <ref> is not attested" (Kritis and signet's attestor
#         wording); "digest" reports "image <ref> is not referenced by a sha256 digest".
package signetdigestonly

excluded_patterns := object.get(input, ["parameters", "excludedImages"], [])

message_style := object.get(input, ["parameters", "messageStyle"], "attestation")

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

# A sha256 digest is "@sha256:" and 64 lowercase hex digits at the end of the reference.
pinned(image) if regex.match(`@sha256:[a-f0-9]{64}$`, image)

message(image) := sprintf("image %s is not attested", [image]) if message_style == "attestation"

message(image) := sprintf("image %s is not referenced by a sha256 digest", [image]) if message_style == "digest"

violation contains {"msg": message(image)} if {
	some image in images
	not pinned(image)
}
