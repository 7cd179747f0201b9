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
from .errors import raise_problems
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
from .identity import platform_role_path, role_boundary_arn
from .kms_policies import key_policy, queue_principal_statement, queue_source_statements
from .kubernetes import kubernetes_resource
from .network import AwsNetwork, AwsNetworkArgs, AwsNetworkRefs, GcpNetwork, GcpNetworkArgs, GcpNetworkRefs
from .output_tree import lift_tree
from .queues import WorkQueue, WorkQueueArgs, work_queue
from .queues.pubsub import KMS_AGENT_ROLE, pubsub_agent_member
from .rules.bootstrap import dns_endpoint_external
from .rules.network import default_zones
from .rules.queues import uses_environment_queue_key
from .rules.secrets import uses_cloud_secrets
from .rules.work_path import S3_SERVICE, member_suffix, source_service
from .spec import EnvironmentSpec, resolve
from .spec.loading import validated
from .spec.workload import WorkloadSpec
from .stack_config import secret_setting
from .workloads import BatchJob, BatchJobArgs, Service, ServiceArgs, manifests
from .workloads.cloud_secrets import SecretManagerTarget, cloud_secret_names
from .workloads.network_policy import CallTarget, namespace_default_deny

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
    """The environment's work queues, keyed as in the spec."""
    queue_addresses: pulumi.Output[dict[str, str]]
    """Each queue's consumer address (SQS URL / Pub/Sub subscription path), keyed as in the spec."""
    cluster: Optional[Cluster]
    """The cluster (`EksCluster` or `GkeCluster`); None when the spec declares none."""

    def __init__(self, name: str, spec: EnvironmentSpec, opts: Optional[pulumi.ResourceOptions] = None):
        # A spec built in Python gets the stack file's environment-wide rules before anything is registered (one
        # from `load_environment_spec` / `parse_environment` has had them).
        if not validated(spec):
            raise_problems(f"Environment {name!r}", spec.problems(name, pulumi.get_project()))
        if spec.adopt_retained:
            # Re-create after a destroy: the kept queues and keys are adopted (`import`), not created again.
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                transformations=[_adopt(dict(spec.adopt_retained))]))
        if spec.aws_keep_role_paths:
            # Roles made before the role path stay where they are: a new path would replace them, and the cluster.
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[_keep_role_paths]))
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
        key_agent_grants = self._queue_key_agent_grants(name)
        self.queues = {}
        for key, queue in sorted(spec.queues.items()):
            dependencies = self._gcp_dependencies(
                [*QUEUE_APIS, *(CMEK_QUEUE_APIS if queue.kms_key or self.queue_key else ())], "pubsub.googleapis.com")
            grant = key_agent_grants.get(queue.kms_key or "")
            self.queues[key] = work_queue(spec.cloud, f"{name}-{key}", WorkQueueArgs(
                **queue.model_dump(exclude={"protect"}), physical_name=f"{name}-{key}",
                protect=queue.protect if queue.protect is not None else spec.tier == "prod",
                managed_key=self._queue_key_ref() if not queue.kms_key else None, key_agent_grant=grant,
                **dependencies), self._cloud_opts)
        self.queue_addresses = (
            pulumi.Output.all(**{key: queue.consumer_address for key, queue in self.queues.items()})
            if self.queues else pulumi.Output.from_input({})
        )
        # Where other stacks and applications find each queue (URL and ARN; topic and subscription on GCP).
        self.queue_endpoints = lift_tree({key: queue.endpoints() for key, queue in self.queues.items()})

        self.network: Optional[NetworkRefs] = None
        self.cluster = None
        self.keda: Optional[Keda] = None
        self.cluster_autoscaler: Optional[ClusterAutoscaler] = None
        self.gpu_device_plugin: Optional[NvidiaDevicePlugin] = None
        self.external_secrets: Optional[ExternalSecrets] = None
        self.secrets_key: Optional[aws.kms.Key] = None
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

        outputs: dict[str, pulumi.Input] = {"queue_addresses": self.queue_addresses,
                                            "queue_endpoints": self.queue_endpoints}
        if self.queue_key is not None:
            outputs["queue_key"] = self._queue_key_ref()
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
        AWS: its key policy is the account statement plus the declared external producers of those queues (the
        AWS services delivering from `producers.sources`, limited to them by `aws:SourceArn`; the
        `producers.principals`, through SQS only); the platform's own producers and consumers get
        kms:GenerateDataKey / kms:Decrypt through IAM (their send and consume grants include it). GCP: a Cloud
        KMS key the Pub/Sub agent is granted once (`_queue_key_agent_grants`). Kept with the queues: protected
        and retained on delete (the queues are), so a destroy leaves queues whose messages can still be read,
        and a re-create adopts both (`stackctl import-retained`, docs/bootstrap.md section 5)."""
        spec = self.spec
        if not uses_environment_queue_key(spec):
            return None
        if spec.cloud == "aws":
            invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
            where = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                      aws.get_caller_identity_output(opts=invoke).account_id)
            on_key = [queue for queue in spec.queues.values() if not queue.kms_key]
            sources: dict[str, list[str]] = {}
            for queue in on_key:
                for source in queue.producers.sources:
                    service = source_service(source)
                    if service is not None:
                        sources.setdefault(service, []).append(source)
            senders = queue_principal_statement([p for queue in on_key for p in queue.producers.principals],
                                                spec.region)

            def policy(partition: str, account: str) -> str:
                owners = {source: queue.producers.bucket_owner or account for queue in on_key
                          for source in queue.producers.sources if source_service(source) == S3_SERVICE}
                return key_policy(partition, account, *queue_source_statements(sources, owners), *senders)

            return aws.kms.Key(
                f"{name}-queues", description=f"{name} work queues", enable_key_rotation=True,
                deletion_window_in_days=30, policy=where.apply(lambda w: policy(w[0], w[1])),
                opts=pulumi.ResourceOptions.merge(self._cloud_opts, pulumi.ResourceOptions(
                    protect=True, retain_on_delete=True)))
        # Cloud KMS never deletes key rings: autonamed and retained, like the cluster's (see GkeCluster).
        after = self._gcp_dependencies(["cloudkms.googleapis.com"]).get("depends_on", [])
        ring = gcp.kms.KeyRing(f"{name}-queues", location=spec.region, opts=pulumi.ResourceOptions.merge(
            self._cloud_opts, pulumi.ResourceOptions(retain_on_delete=True, depends_on=after)))
        return gcp.kms.CryptoKey(
            f"{name}-queues", name="queues", key_ring=ring.id, rotation_period=QUEUE_KEY_ROTATION_PERIOD,
            purpose="ENCRYPT_DECRYPT",
            opts=pulumi.ResourceOptions.merge(self._cloud_opts, pulumi.ResourceOptions(
                protect=True, retain_on_delete=True, depends_on=after)))

    def _role_boundary(self) -> Optional[str]:
        """The stack file's boundary, else the default one in the declared account (else the components derive it
        from the caller's account)."""
        spec = self.spec
        if spec.aws_role_permissions_boundary:
            return spec.aws_role_permissions_boundary
        if spec.aws_account_id:
            partition = "aws-us-gov" if "-gov-" in spec.region else "aws-cn" if spec.region.startswith("cn-") else "aws"
            return role_boundary_arn(partition, spec.aws_account_id)
        return None

    def _queue_key_agent_grants(self, name: str) -> dict[str, pulumi.Resource]:
        """GCP: the Pub/Sub service agent's encrypter/decrypter role on each key the queues use, made once per
        key (not per queue, so removing a queue never removes a grant the other topics need), by key: `""` for
        the environment's queue key, else the queue's `kms_key`."""
        spec = self.spec
        keys = {q.kms_key for q in spec.queues.values() if q.kms_key}
        if spec.cloud != "gcp" or not (keys or self.queue_key is not None):
            return {}
        dependencies = self._gcp_dependencies([*QUEUE_APIS, *CMEK_QUEUE_APIS], "pubsub.googleapis.com")
        member = pubsub_agent_member(dependencies.get("service_agent_email"), pulumi.InvokeOutputOptions(
            parent=self, provider=self.provider, depends_on=list(dependencies.get("depends_on", []))))
        # Prod keeps its topics, subscriptions and queue key on delete: the grant goes with them, else the kept
        # messages could be neither published nor pulled (FAILED_PRECONDITION: Pub/Sub can't access the key).
        # Re-adding an IAM member merges into the key's policy, so a re-create needs no adoption for it.
        opts = pulumi.ResourceOptions.merge(
            self._cloud_opts, pulumi.ResourceOptions(depends_on=list(dependencies.get("depends_on", [])),
                                                     retain_on_delete=spec.tier == "prod" or None))
        grants: dict[str, pulumi.Resource] = {}
        if self.queue_key is not None and any(not q.kms_key for q in spec.queues.values()):
            grants[""] = gcp.kms.CryptoKeyIAMMember(
                f"{name}-queues-kms-agent", crypto_key_id=self._queue_key_ref(), role=KMS_AGENT_ROLE, member=member,
                opts=opts)
        for key in sorted(keys):
            grants[key] = gcp.kms.CryptoKeyIAMMember(
                f"{name}-kms-agent-{member_suffix(key)}", crypto_key_id=key, role=KMS_AGENT_ROLE, member=member,
                opts=opts)
        return grants

    @property
    def queue_key_ref(self) -> Optional[pulumi.Output[str]]:
        """The environment's queue key: an AWS KMS key ARN or a Cloud KMS key id; None without one."""
        return self._queue_key_ref()

    def _queue_key_ref(self) -> Optional[pulumi.Output[str]]:
        if self.queue_key is None:
            return None
        # By the stack's cloud, not by class: a GCP-only install has no AWS SDK to compare with.
        return self.queue_key.arn if self.spec.cloud == "aws" else self.queue_key.id

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

        # Who calls whom (`calls`): the caller's policy allows the service's pods, the service's admits the caller.
        workloads = {**{key: (resolve.service_namespace(key, service), service)
                        for key, service in spec.services.items()},
                     **{key: (resolve.job_namespace(key, job, spec.services), resolve.job_workload(job, spec.services))
                        for key, job in spec.jobs.items()}}
        callers: dict[str, set[str]] = {}
        for namespace, workload in workloads.values():
            for target in workload.calls:
                callers.setdefault(target, set()).add(namespace)

        def calls(workload: WorkloadSpec) -> list[CallTarget]:
            return [CallTarget(resolve.service_namespace(target, spec.services[target]), target,
                               tuple(sorted(set(spec.services[target].ports.values()))))
                    for target in sorted(set(workload.calls))]

        def sends_to(workload: WorkloadSpec) -> dict[str, WorkQueue]:
            return {queue: self.queues[queue] for queue in workload.sends_to}

        for key, service in sorted(spec.services.items()):
            namespace = resolve.service_namespace(key, service)
            self.services[key] = Service(f"{name}-{key}", ServiceArgs(
                workload_name=key, namespace=namespace, spec=service,
                min_replicas=resolve.min_replicas(service, spec.tier), cluster=cluster,
                placement=scheduling.placement(spec.cluster, service),
                queue=self.queues.get(service.queue) if service.queue else None,
                sends_to=sends_to(service), calls=calls(service), callers=sorted(callers.get(key, set())),
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
                sends_to=sends_to(workload), calls=calls(workload),
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
        owned = self._owned_secrets(name)
        if spec.cloud == "aws":
            invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
            prefix = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                       aws.get_caller_identity_output(opts=invoke).account_id).apply(
                lambda w: f"arn:{w[0]}:secretsmanager:{spec.region}:{w[1]}:secret:")
            target = SecretManagerTarget(
                cloud="aws", region=spec.region, aws_secret_arn_prefix=prefix,
                owned={secret: resource.arn for secret, resource in owned.items()},
                aws_key_arn=self.secrets_key.arn if self.secrets_key is not None else None)
            return target, [self.external_secrets.release], []
        target = SecretManagerTarget(cloud="gcp", region=spec.region, gcp_project=spec.gcp_project,
                                     cluster_name=self.cluster_name,
                                     owned={secret: resource.secret_id for secret, resource in owned.items()})
        after = self._gcp_dependencies(["secretmanager.googleapis.com"]).get("depends_on", [])
        return target, [self.external_secrets.release], list(after)

    def _owned_secrets(self, name: str) -> dict[str, pulumi.CustomResource]:
        """The containers of the cloud secrets workloads read that the stack file does not mark as existing:
        created empty (the program never holds a value; docs/bootstrap.md says how values are set), named by the
        secret's own name, so the grants can wait for them. Prod: protected and kept in the cloud if they leave
        the stack (like the queues), AWS ones encrypted with the environment's secrets key (kept too, or the
        kept secrets could not be read)."""
        spec = self.spec
        workloads = [*spec.services.values(), *(resolve.job_workload(job, spec.services) for job in spec.jobs.values())]
        names = sorted({secret for workload in workloads for secret in cloud_secret_names(workload)}
                       - set(spec.existing_secrets))
        prod = spec.tier == "prod"
        keep = pulumi.ResourceOptions(protect=prod or None, retain_on_delete=prod or None)
        self.secrets_key = None
        if spec.cloud == "aws" and prod and names:
            invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
            where = pulumi.Output.all(aws.get_partition_output(opts=invoke).partition,
                                      aws.get_caller_identity_output(opts=invoke).account_id)
            self.secrets_key = aws.kms.Key(
                f"{name}-app-secrets", description=f"{name} workload secrets", enable_key_rotation=True,
                deletion_window_in_days=30, policy=where.apply(lambda w: key_policy(w[0], w[1])),
                opts=pulumi.ResourceOptions.merge(self._cloud_opts, keep))
        owned: dict[str, pulumi.CustomResource] = {}
        for secret in names:
            opts = pulumi.ResourceOptions.merge(self._cloud_opts, keep)
            if spec.cloud == "aws":
                owned[secret] = aws.secretsmanager.Secret(
                    f"{name}-secret-{secret}", name=secret, description=f"{name}: value set out of band",
                    kms_key_id=self.secrets_key.arn if self.secrets_key is not None else None,
                    # Outside prod a destroyed secret goes at once, so the next `up` can create the name again
                    # (a secret scheduled for deletion keeps its name for the whole recovery window).
                    recovery_window_in_days=30 if prod else 0, opts=opts)
            else:
                after = self._gcp_dependencies(["secretmanager.googleapis.com"]).get("depends_on", [])
                owned[secret] = gcp.secretmanager.Secret(
                    f"{name}-secret-{secret}", secret_id=secret, project=spec.gcp_project,
                    replication=gcp.secretmanager.SecretReplicationArgs(
                        user_managed=gcp.secretmanager.SecretReplicationUserManagedArgs(replicas=[
                            gcp.secretmanager.SecretReplicationUserManagedReplicaArgs(location=spec.region)])),
                    deletion_protection=prod or None,
                    opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(after))))
        return owned

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
                runner_subnet=network.runner_subnet,
                cluster_name=self.cluster_name,
                flow_log_retention_days=network.flow_logs.retention_days or FLOW_LOG_RETENTION_DAYS[spec.tier],
                flow_log_traffic=network.flow_logs.traffic or ("ALL" if spec.tier == "prod" else "REJECT"),
                flow_log_destination=network.flow_logs.destination,
                protect=spec.tier == "prod",
                permissions_boundary=self._role_boundary(),
                role_path=platform_role_path(name),
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
                permissions_boundary=self._role_boundary(), role_path=platform_role_path(name),
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


def _keep_role_paths(args: pulumi.ResourceTransformationArgs) -> Optional[pulumi.ResourceTransformationResult]:
    """`aws_keep_role_paths`: an existing role keeps the path the state has (a new one gets the program's)."""
    if args.type_ != "aws:iam/role:Role":
        return None
    return pulumi.ResourceTransformationResult(
        args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(ignore_changes=["path"])))


def _adopt(ids: dict[str, str]):
    """A transformation giving each resource named in `adopt_retained` (`<type>::<name>`) its `import` id."""

    def transform(args: pulumi.ResourceTransformationArgs) -> Optional[pulumi.ResourceTransformationResult]:
        found = ids.get(f"{args.type_}::{args.name}")
        if found is None:
            return None
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(import_=found)))

    return transform
