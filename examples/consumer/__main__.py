"""A consumer's Pulumi program: the platform's components used directly, without `Environment` or its stack file.

`stackctl preview dev` runs it offline, `stackctl check dev` checks it with the policy pack installed with the
package, `pytest tests` tests it; with the Pulumi CLI and AWS credentials, `pulumi up` deploys it.
"""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import (
    AwsNetwork,
    AwsNetworkArgs,
    BatchJob,
    BatchJobArgs,
    EksCluster,
    EksClusterArgs,
    JobSpec,
    Keda,
    KedaArgs,
    NodePoolSpec,
    Service,
    ServiceArgs,
    ServiceSpec,
    SqsWorkQueue,
    TaintSpec,
    WorkQueueArgs,
)

config = pulumi.Config()
stack = pulumi.get_stack()
region = pulumi.Config("aws").require("region")
cluster_name = f"reports-{stack}"

network = AwsNetwork("reports", AwsNetworkArgs(
    cidr="10.60.0.0/16", availability_zones=[f"{region}a", f"{region}b"], nat="single", cluster_name=cluster_name))
cluster = EksCluster("reports", EksClusterArgs(
    cluster_name=cluster_name, region=region, subnet_ids=network.private_subnet_ids,
    private_access_cidrs=config.require_object("runner_cidrs"),
    node_pools={
        "general": NodePoolSpec(machine_types=["m7i.large"], min_size=1, max_size=4),
        "batch": NodePoolSpec(machine_types=["c7i.2xlarge"], spot=True, min_size=0, max_size=4,
                              taints=[TaintSpec(key="workload", value="batch")]),
    },
))
queue = SqsWorkQueue("reports", WorkQueueArgs(
    visibility_timeout_seconds=config.require_int("visibility_timeout_seconds"), max_receive_count=5))
# Kubernetes objects go to this cluster through its provider (components take it from `opts`, like any resource).
kubernetes = pulumi.ResourceOptions(provider=cluster.provider)
keda = Keda("reports-keda", KedaArgs(cluster=cluster, queues=[queue]), kubernetes)
namespace = k8s.core.v1.Namespace("reports", metadata={
    "name": "reports", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}, opts=kubernetes)

worker = ServiceSpec(image=config.require("image"), command=["python", "-m", "reports.worker"], queue="reports",
                     max_message_seconds=240)
service = Service("reports-worker", ServiceArgs(
    workload_name="reports-worker", namespace="reports", cluster=cluster, queue=queue, spec=worker,
    min_replicas=0, depends_on=[namespace, keda]), kubernetes)
nightly = BatchJob("reports-nightly", BatchJobArgs(
    workload_name="reports-nightly", namespace="reports", cluster=cluster,
    job=JobSpec(mode="schedule", schedule="0 3 * * *"),
    # On the tainted spot pool: the job gets that pool's node selector and toleration from `node_pool`.
    workload=worker.model_copy(update={"command": ["python", "-m", "reports.nightly"], "queue": None,
                                       "node_pool": "batch"}),
    deadline_seconds=3600, depends_on=[namespace]), kubernetes)

if config.get_bool("legacy_inbox"):
    # A queue made by hand, outside the components: no encryption, no dead-letter queue (the policy pack refuses).
    aws.sqs.Queue("legacy-inbox", sqs_managed_sse_enabled=False)

pulumi.export("queue_url", queue.consumer_address)
pulumi.export("cluster_name", cluster.cluster_name)
