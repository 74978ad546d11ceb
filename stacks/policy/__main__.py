"""The policy pack: the same policies ``./inv plan`` evaluates offline on recorded plans.

Run by a Pulumi CLI (``pulumi preview --policy-pack stacks/policy``, or ``./inv
cloud.preview``); ``PolicyPack`` serves them over gRPC to the engine.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from ictinfra.cloud.policies import POLICIES

PolicyPack(
    name="ictinfra-cloud",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=list(POLICIES),
)
