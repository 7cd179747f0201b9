"""`Environment`: everything one stack declares, built from a validated `EnvironmentSpec`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

import pulumi

from . import scheduling
from .addons import ClusterAutoscaler, ClusterAutoscalerArgs, NvidiaDevicePlugin, NvidiaDevicePluginArgs
from .addons import argocd_manifests as argo
from .addons.argocd import ArgoCdBootstrap, ArgoCdBootstrapArgs
from .addons.external_secrets import ExternalSecrets, ExternalSecretsArgs
from .addons.keda import Keda, KedaArgs
from .cloud import cloud_provider
from .cloud_sdks import aws, gcp
from .cluster import Cluster, EksCluster, EksClusterArgs, GkeCluster, GkeClusterArgs
from .gcp_services import (
    BINARY_AUTHORIZATION_APIS,
    CLUSTER_APIS,
    CMEK_QUEUE_APIS,
    QUEUE_APIS,
    GcpProjectServices,
    GcpProjectServicesArgs,
    required_services,
)
from .gitops import deployment_files
from .kms_policies import key_policy
from .kubernetes import kubernetes_resource
from .network import AwsNetwork, AwsNetworkArgs, AwsNetworkRefs, GcpNetwork, GcpNetworkArgs, GcpNetworkRefs
from .output_tree import lift_tree
from .queues import WorkQueue, WorkQueueArgs, work_queue
from .rules.bootstrap import dns_endpoint_external
from .rules.network import default_zones
from .rules.queues import uses_environment_queue_key
from .rules.secrets import uses_cloud_secrets
from .spec import EnvironmentSpec, resolve
from .stack_config import secret_setting
from .workloads import BatchJob, BatchJobArgs, Service, ServiceArgs, manifests
from .workloads.cloud_secrets import SecretManagerTarget, cloud_secret_names
from .workloads.network_policy import namespace_default_deny

NetworkRefs = Union[AwsNetworkRefs, GcpNetworkRefs]
# Cloud KMS rotation of the per-environment queue key (the GKE secrets key rotates every 90 days too).
QUEUE_KEY_ROTATION_PERIOD = f"{90 * 24 * 3600}s"
# How long VPC flow logs are kept per tier: enough for an incident review in dev, a year of evidence in prod.
FLOW_LOG_RETENTION_DAYS = {"dev": 30, "staging": 90, "prod": 365}


class Environment(pulumi.ComponentResource):
    """One environment: cloud provider, work queues, network and cluster.

    Child resources are named `<environment>-<map key>-...`, so renaming or reordering anything else in
    the stack file never changes their identity.
    """

    queues: dict[str, WorkQueue]
    queue_addresses: pulumi.Output[dict[str, str]]
    cluster: Optional[Cluster]

    def __init__(self, name: str, spec: EnvironmentSpec, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:index:Environment", name, None, opts)
        self.spec = spec
        self.provider = cloud_provider(name, spec, pulumi.ResourceOptions(parent=self))
        self._cloud_opts = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        self.cluster_name = f"{pulumi.get_project()}-{name}"
        # GCP: APIs and service agents first; everything below waits for the ones it calls.
        self.project_services: Optional[GcpProjectServices] = None
        if spec.cloud == "gcp" and spec.gcp_enable_apis and required_services(spec):
            assert spec.gcp_project is not None
            self.project_services = GcpProjectServices(f"{name}-apis", GcpProjectServicesArgs(
                project=spec.gcp_project, services=required_services(spec)), self._cloud_opts)

        self.queue_key = self._queue_key(name)
        self.queues = {
            key: work_queue(
                spec.cloud,
                f"{name}-{key}",
                WorkQueueArgs(
                    **queue.model_dump(exclude={"protect"}), physical_name=f"{name}-{key}",
                    protect=queue.protect if queue.protect is not None else spec.tier == "prod",
                    managed_key=self._queue_key_ref() if not queue.kms_key else None,
                    **self._gcp_dependencies(
                        [*QUEUE_APIS, *(CMEK_QUEUE_APIS if queue.kms_key or self.queue_key else ())],
                        "pubsub.googleapis.com")),
                self._cloud_opts,
            )
            for key, queue in sorted(spec.queues.items())
        }
        self.queue_addresses = (
            pulumi.Output.all(**{key: queue.consumer_address for key, queue in self.queues.items()})
            if self.queues else pulumi.Output.from_input({})
        )

        self.network: Optional[NetworkRefs] = None
        self.cluster = None
        self.keda: Optional[Keda] = None
        self.cluster_autoscaler: Optional[ClusterAutoscaler] = None
        self.gpu_device_plugin: Optional[NvidiaDevicePlugin] = None
        self.external_secrets: Optional[ExternalSecrets] = None
        self.services: dict[str, Service] = {}
        self.jobs: dict[str, BatchJob] = {}
        self.namespace_manifests: dict[str, dict] = {}
        self.namespace_policies: dict[str, dict] = {}
        self.argocd: Optional[ArgoCdBootstrap] = None
        self.deployment_files: Optional[pulumi.Output[dict]] = None
        if spec.cluster is not None:
            self.network = self._network(name)
            self.cluster = self._cluster(name)
            self._capacity_addons(name, self.cluster)
            self._workloads(name, self.cluster)

        outputs: dict[str, pulumi.Input] = {"queue_addresses": self.queue_addresses}
        if self.cluster is not None:
            outputs.update(cluster_name=self.cluster.cluster_name, kubeconfig=self.cluster.kubeconfig)
        self.register_outputs(outputs)

    def _capacity_addons(self, name: str, cluster: Cluster) -> None:
        """EKS: Cluster Autoscaler (GKE pools autoscale themselves) and, for GPU pools, the device plugin."""
        spec = self.spec
        if not isinstance(cluster, EksCluster) or spec.cluster is None:
            return
        opts = pulumi.ResourceOptions(parent=self, providers=[self.provider, cluster.provider])
        self.cluster_autoscaler = ClusterAutoscaler(f"{name}-cluster-autoscaler", ClusterAutoscalerArgs(
            cluster=cluster, cluster_name=self.cluster_name, region=spec.region, node_pools=spec.cluster.node_pools,
            high_availability=spec.tier == "prod"), opts)
        if any(pool.gpu is not None for pool in spec.cluster.node_pools.values()):
            self.gpu_device_plugin = NvidiaDevicePlugin(f"{name}-nvidia-device-plugin", NvidiaDevicePluginArgs(), opts)

    def _queue_key(self, name: str) -> Optional[pulumi.CustomResource]:
        """Prod: one rotating customer-managed key for the environment's queues that name none of their own.
        AWS: its key policy is the account statement only; producers and consumers get kms:GenerateDataKey /
        kms:Decrypt through IAM (the consume grants include it). GCP: a Cloud KMS key the Pub/Sub agent is
        granted by each queue."""
        spec = self.spec
        if not uses_environment_queue_key(spec):
            return None
        if spec.cloud == "aws":
            invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
            where = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                      aws.get_caller_identity_output(opts=invoke).account_id)
            return aws.kms.Key(
                f"{name}-queues", description=f"{name} work queues", enable_key_rotation=True,
                deletion_window_in_days=30, policy=where.apply(lambda w: key_policy(w[0], w[1])),
                opts=pulumi.ResourceOptions.merge(self._cloud_opts, pulumi.ResourceOptions(protect=True)))
        # Cloud KMS never deletes key rings: autonamed and retained, like the cluster's (see GkeCluster).
        after = self._gcp_dependencies(["cloudkms.googleapis.com"]).get("depends_on", [])
        ring = gcp.kms.KeyRing(f"{name}-queues", location=spec.region, opts=pulumi.ResourceOptions.merge(
            self._cloud_opts, pulumi.ResourceOptions(retain_on_delete=True, depends_on=after)))
        return gcp.kms.CryptoKey(
            f"{name}-queues", name="queues", key_ring=ring.id, rotation_period=QUEUE_KEY_ROTATION_PERIOD,
            purpose="ENCRYPT_DECRYPT",
            opts=pulumi.ResourceOptions.merge(self._cloud_opts, pulumi.ResourceOptions(protect=True, depends_on=after)))

    def _queue_key_ref(self) -> Optional[pulumi.Output[str]]:
        if self.queue_key is None:
            return None
        return self.queue_key.arn if isinstance(self.queue_key, aws.kms.Key) else self.queue_key.id

    def _gcp_dependencies(self, services: Sequence[str], agent: Optional[str] = None) -> dict:
        """`depends_on` (API enablements) and `service_agent_email` arguments for a GCP component."""
        if self.project_services is None:
            return {}
        found: dict = {"depends_on": self.project_services.enabled(services)}
        if agent is not None:
            found["service_agent_email"] = self.project_services.agent_email(agent)
        return found

    def _workloads(self, name: str, cluster: Cluster) -> None:
        spec = self.spec
        gitops = spec.delivery == "gitops"
        opts = pulumi.ResourceOptions(parent=self, providers=[self.provider, cluster.provider])
        scaled_queues = sorted(
            {s.queue for s in spec.services.values() if s.queue}
            | {resolve.job_workload(j, spec.services).queue for j in spec.jobs.values() if j.mode == "per_message"}
            - {None})
        if scaled_queues:
            self.keda = Keda(f"{name}-keda", KedaArgs(
                cluster=cluster, queues=[self.queues[q] for q in scaled_queues], gcp_project=spec.gcp_project,
                high_availability=spec.tier == "prod"), opts)
        keda = [self.keda.release] if self.keda else []
        secret_manager, secrets_ready, grants_after = self._secret_manager(name, cluster, opts)
        workload_namespaces = resolve.namespaces(spec)
        # Prod namespaces under Argo CD: pruning one deletes everything in it, so a person confirms.
        self.namespace_manifests = {ns: manifests.namespace(ns, confirm_deletion=gitops and spec.tier == "prod")
                                    for ns in workload_namespaces}
        self.namespace_policies = {ns: namespace_default_deny(ns) for ns in workload_namespaces}

        self.argocd = None
        path = ""
        if spec.argocd is not None:
            path = (spec.argocd.path or name).strip("/")
            self.argocd = ArgoCdBootstrap(f"{name}-argocd", ArgoCdBootstrapArgs(
                environment=name, spec=spec.argocd, path=path, namespaces=workload_namespaces,
                high_availability=(spec.argocd.high_availability if spec.argocd.high_availability is not None
                                   else spec.tier == "prod"),
                repository_password=secret_setting("argocd_repo_password"),
                repository_ssh_key=secret_setting("argocd_repo_ssh_key"),
            ), opts)

        # Push: Pulumi creates the namespaces. GitOps: the namespaces app syncs them from the repository.
        ready: dict[str, list[pulumi.Resource]] = {}
        for namespace, manifest in self.namespace_manifests.items():
            if gitops:
                assert self.argocd is not None
                ready[namespace] = list(self.argocd.ready)
            else:
                created = kubernetes_resource(f"{name}-namespace-{namespace}", manifest, opts)
                ready[namespace] = [created, kubernetes_resource(
                    f"{name}-namespace-{namespace}-default-deny", self.namespace_policies[namespace],
                    pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[created])))]

        def application(key: str, namespace: str, scaled: bool) -> Optional[dict]:
            if not gitops:
                return None
            assert spec.argocd is not None
            return argo.application(f"{name}-{key}", name, name, spec.argocd.repository, spec.argocd.revision,
                                    f"{path}/{key}", namespace, ignore_replicas=scaled)

        for key, service in sorted(spec.services.items()):
            namespace = resolve.service_namespace(key, service)
            self.services[key] = Service(f"{name}-{key}", ServiceArgs(
                workload_name=key, namespace=namespace, spec=service,
                min_replicas=resolve.min_replicas(service, spec.tier), cluster=cluster,
                placement=scheduling.placement(spec.cluster, service),
                queue=self.queues.get(service.queue) if service.queue else None,
                deploy=not gitops,
                depends_on=[*ready[namespace], *(keda if service.queue else []),
                            *(secrets_ready if cloud_secret_names(service) else [])],
                application=application(key, namespace, scaled=True),
                secret_manager=secret_manager, secret_grants_depend_on=grants_after,
            ), opts)
        for key, job in sorted(spec.jobs.items()):
            namespace = resolve.job_namespace(key, job, spec.services)
            workload = resolve.job_workload(job, spec.services)
            self.jobs[key] = BatchJob(f"{name}-{key}", BatchJobArgs(
                workload_name=key, namespace=namespace, job=job, workload=workload,
                deadline_seconds=resolve.job_deadline(job, workload), cluster=cluster,
                placement=scheduling.placement(spec.cluster, workload),
                queue=self.queues.get(workload.queue) if workload.queue else None,
                deploy=not gitops,
                depends_on=[*ready[namespace], *(keda if job.mode == "per_message" else []),
                            *(secrets_ready if cloud_secret_names(workload) else [])],
                application=application(key, namespace, scaled=False),
                secret_manager=secret_manager, secret_grants_depend_on=grants_after,
            ), opts)
        if gitops:
            self.deployment_files = lift_tree(deployment_files(
                path, self.namespace_manifests,
                {key: w.manifests for key, w in [*self.services.items(), *self.jobs.items()]},
                self.namespace_policies))

    def _secret_manager(self, name: str, cluster: Cluster, opts: pulumi.ResourceOptions) -> tuple[
            Optional[SecretManagerTarget], list[pulumi.Resource], list[pulumi.Resource]]:
        """When a workload reads cloud secrets: External Secrets Operator (its CRDs must exist before any
        SecretStore), where the secrets live, and what the grants wait for (GCP: the Secret Manager API)."""
        spec = self.spec
        if not uses_cloud_secrets(spec):
            return None, [], []
        self.external_secrets = ExternalSecrets(f"{name}-external-secrets", ExternalSecretsArgs(
            high_availability=spec.tier == "prod", depends_on=list(cluster.webhook_access)), opts)
        if spec.cloud == "aws":
            invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
            prefix = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                       aws.get_caller_identity_output(opts=invoke).account_id).apply(
                lambda w: f"arn:{w[0]}:secretsmanager:{spec.region}:{w[1]}:secret:")
            target = SecretManagerTarget(cloud="aws", region=spec.region, aws_secret_arn_prefix=prefix)
            return target, [self.external_secrets.release], []
        target = SecretManagerTarget(cloud="gcp", region=spec.region, gcp_project=spec.gcp_project,
                                     cluster_name=self.cluster_name)
        after = self._gcp_dependencies(["secretmanager.googleapis.com"]).get("depends_on", [])
        return target, [self.external_secrets.release], list(after)

    def _network(self, name: str) -> NetworkRefs:
        spec, network = self.spec, self.spec.network
        if spec.cloud == "aws":
            if network.existing_vpc is not None:
                existing = network.existing_vpc
                return AwsNetworkRefs(existing.vpc_id, existing.private_subnet_ids, existing.public_subnet_ids)
            return AwsNetwork(name, AwsNetworkArgs(
                cidr=network.cidr,
                availability_zones=network.availability_zones or default_zones(spec.region),
                nat=network.nat,
                cluster_name=self.cluster_name,
                flow_log_retention_days=FLOW_LOG_RETENTION_DAYS[spec.tier],
                protect=spec.tier == "prod",
            ), self._cloud_opts).refs
        if network.existing_network is not None:
            existing = network.existing_network
            return GcpNetworkRefs(existing.network, existing.subnetwork, existing.pods_range_name,
                                  existing.services_range_name)
        return GcpNetwork(name, GcpNetworkArgs(
            region=spec.region, cidr=network.cidr, pods_cidr=network.pods_cidr, services_cidr=network.services_cidr,
            **self._gcp_dependencies(["compute.googleapis.com"]),
        ), self._cloud_opts).refs

    def _cluster(self, name: str) -> Cluster:
        spec = self.spec
        assert spec.cluster is not None
        cluster_spec = spec.cluster.model_dump(exclude={"protect"})
        if spec.cloud == "aws" and cluster_spec.get("deployer_admin") is None:
            # Outside dev the deploying identity is an admin only as a named entry of `cluster.admins`.
            cluster_spec["deployer_admin"] = spec.tier == "dev"
        if isinstance(self.network, AwsNetworkRefs):
            return EksCluster(name, EksClusterArgs(
                **cluster_spec, protect=spec.protect_cluster, cluster_name=self.cluster_name, region=spec.region,
                log_key="create" if spec.tier == "prod" else None,
                subnet_ids=self.network.private_subnet_ids,
            ), self._cloud_opts)
        assert isinstance(self.network, GcpNetworkRefs) and spec.gcp_project is not None
        cluster_spec["dns_endpoint_external"] = dns_endpoint_external(spec)
        cluster_spec["boot_disk_key"] = spec.tier == "prod"
        if spec.tier == "prod":
            cluster_spec["binary_authorization_images"] = sorted(
                {w.image for w in [*spec.services.values(), *spec.jobs.values()] if w.image})
        return GkeCluster(name, GkeClusterArgs(
            **cluster_spec, protect=spec.protect_cluster, cluster_name=self.cluster_name, project=spec.gcp_project,
            region=spec.region, network=self.network.network, subnetwork=self.network.subnetwork,
            pods_range_name=self.network.pods_range_name, services_range_name=self.network.services_range_name,
            **self._gcp_dependencies((*CLUSTER_APIS, *BINARY_AUTHORIZATION_APIS), "container.googleapis.com"),
        ), self._cloud_opts)
