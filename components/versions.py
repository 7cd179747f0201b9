"""Versions this library knows and pins, in one place.

Bump them here (with the golden tests showing what changes) when clouds publish new versions.
"""

# EKS Kubernetes versions in standard support in late 2026, and those only in (paid) extended support.
EKS_STANDARD_SUPPORT_VERSIONS = ("1.34", "1.35", "1.36")
EKS_EXTENDED_SUPPORT_VERSIONS = ("1.31", "1.32", "1.33")
# GKE minor versions available in release channels.
GKE_VERSIONS = ("1.33", "1.34", "1.35", "1.36")

# EKS managed add-on versions pinned per Kubernetes version (sources: the EKS user guide's add-on version
# tables and `aws eks describe-addon-versions`, November 2026). A cluster spec can override them with
# `cluster.addon_versions`. Check new pins with: aws eks describe-addon-versions --kubernetes-version X.
# NOT re-verifiable offline (the EKS API is the only source of eksbuild numbers). Corroborated, December 2026,
# by public records found in the tool library: an EKS upgrade guide's per-version table ("verified 2026-08-20
# against the AWS docs") lists every vpc-cni, coredns and kube-proxy pin below, and deployment reports record
# vpc-cni v1.22.4-eksbuild.3, kube-proxy v1.35.3-eksbuild.13, coredns v1.14.3-eksbuild.3 and aws-ebs-csi-driver
# v1.62.0-eksbuild.1 ACTIVE on real clusters (the EBS driver build also pinned with 1.36 clusters).
EKS_ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.34": {
        "vpc-cni": "v1.22.4-eksbuild.3",
        "coredns": "v1.13.2-eksbuild.11",
        "kube-proxy": "v1.34.6-eksbuild.13",
        "aws-ebs-csi-driver": "v1.62.0-eksbuild.1",
    },
    "1.35": {
        "vpc-cni": "v1.22.4-eksbuild.3",
        "coredns": "v1.14.3-eksbuild.3",
        "kube-proxy": "v1.35.3-eksbuild.13",
        "aws-ebs-csi-driver": "v1.62.0-eksbuild.1",
    },
    "1.36": {
        "vpc-cni": "v1.22.4-eksbuild.3",
        "coredns": "v1.14.3-eksbuild.3",
        "kube-proxy": "v1.36.0-eksbuild.14",
        "aws-ebs-csi-driver": "v1.62.0-eksbuild.1",
    },
}

# KEDA Helm chart (kedacore/charts), pinned; its CRDs match schemas/crds (KEDA v2.20.2). Re-verified December 2026
# with fetch: kedacore/charts@1444d00d90d7668cf7f53f270777d039371d90d0 (2026-08-13) keda/Chart.yaml `version: 2.20.2`.
KEDA_CHART_REPOSITORY = "https://kedacore.github.io/charts"
KEDA_CHART_VERSION = "2.20.2"

# argo-helm `argo-cd` chart, pinned; it ships Argo CD v3.5.1, whose CRDs are vendored in stackctl/crds.
# NOT re-verified: the newest snapshot fetch could read (argoproj/argo-helm@af0a9310bacbaa4636018dfe22c801a6d33a5c43,
# 2026-07-02) has tags up to argo-cd-10.1.1 (Argo CD v3.4.4), so 10.3.3's templates were not read (re-checked Dec 2026).
# Corroborated, not read: kaycee1771/verda-platform-takehome versions.lock.yaml (as of 2026-08-19) records chart
# 10.3.3 from the argo-helm index with appVersion v3.5.1 (archive sha256 ce254920...8007).
ARGOCD_CHART_REPOSITORY = "https://argoproj.github.io/argo-helm"
ARGOCD_CHART_VERSION = "10.3.3"
# The image repositories Argo CD runs, set in its values rather than left to the chart's defaults, so that a new
# chart default cannot move a pod outside the Binary Authorization allowlist. Defaults read in
# argoproj/argo-helm@af0a9310 charts/argo-cd/values.yaml (chart 10.1.1): `global.image.repository`,
# `redis.image.repository`, `redis-ha.image.repository`, `redis-ha.haproxy.image.repository`.
ARGOCD_IMAGE_REPOSITORIES: dict[str, str] = {
    "argocd": "quay.io/argoproj/argocd",
    "redis": "ecr-public.aws.com/docker/library/redis",
    "haproxy": "ecr-public.aws.com/docker/library/haproxy",
}

# Cluster Autoscaler Helm chart (kubernetes/autoscaler, tag cluster-autoscaler-chart-9.59.0, chart path
# cluster-autoscaler/charts/cluster-autoscaler). Its image must match the cluster's Kubernetes minor version
# (cluster-autoscaler README, "Releases"), so the image tag is pinned per minor: the newest patch tag of each
# (`cluster-autoscaler-1.N.P` tags in kubernetes/autoscaler, August 2026). Re-verified December 2026 with fetch:
# kubernetes/autoscaler@55c37cd5eb550756c5ccc5a89e9068d77797e575 (2026-08-22) has the tags
# cluster-autoscaler-chart-9.59.0, cluster-autoscaler-1.35.2 and cluster-autoscaler-1.36.1.
CLUSTER_AUTOSCALER_CHART_REPOSITORY = "https://kubernetes.github.io/autoscaler"
CLUSTER_AUTOSCALER_CHART_VERSION = "9.59.0"
CLUSTER_AUTOSCALER_IMAGE_TAGS: dict[str, str] = {
    "1.31": "v1.31.5",
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
}

# NVIDIA device plugin Helm chart (NVIDIA/k8s-device-plugin v0.20.0, deployments/helm/nvidia-device-plugin).
# Re-verified December 2026 with fetch: NVIDIA/k8s-device-plugin@1b826acc6af3079d8923bac395c3124b8861a9a6
# (2026-08-19), tag v0.20.0, Chart.yaml `version: "0.20.0"`.
# The EKS AL2023 NVIDIA AMI has the driver but not the plugin (EKS user guide, "Install Kubernetes device
# plugin for GPUs"); GKE runs its own.
NVIDIA_DEVICE_PLUGIN_CHART_REPOSITORY = "https://nvidia.github.io/k8s-device-plugin"
NVIDIA_DEVICE_PLUGIN_CHART_VERSION = "0.20.0"

# External Secrets Operator Helm chart (external-secrets/external-secrets, tag helm-chart-2.9.0, chart path
# deploy/charts/external-secrets, appVersion v2.9.0). It serves `external-secrets.io/v1` SecretStore and
# ExternalSecret (v1beta1 no longer served); their CRDs at v2.9.0 are vendored in stackctl/crds.
EXTERNAL_SECRETS_CHART_REPOSITORY = "https://charts.external-secrets.io"
EXTERNAL_SECRETS_CHART_VERSION = "2.9.0"

# Pulumi Kubernetes Operator (pulumi/pulumi-kubernetes-operator, tag v2.9.0, commit
# b713fae5a35041d899b0f64151a151f3df068ad1): chart `pulumi-kubernetes-operator` 2.9.0
# (deploy/helm/pulumi-operator/Chart.yaml, appVersion v2.9.0), published as an OCI artifact
# (.github/workflows/chart-publish.yaml: `helm push ... oci://ghcr.io/pulumi/helm-charts`; README: `helm install
# ... oci://ghcr.io/pulumi/helm-charts/pulumi-kubernetes-operator`). Its `crds/` hold the same
# `pulumi.com_stacks.yaml` blob (ee51be3b) that is vendored in stackctl/crds.
PULUMI_OPERATOR_CHART = "oci://ghcr.io/pulumi/helm-charts/pulumi-kubernetes-operator"
PULUMI_OPERATOR_CHART_VERSION = "2.9.0"
# The workspace pod's image (the Pulumi CLI and the language runtimes). PKO defaults to the floating
# `pulumi/pulumi:latest-nonroot` (operator/internal/webhook/auto/v1alpha1/workspace_webhook.go at v2.9.0); pinned
# here by digest instead, the tag and digest the operator's own repository pins in examples/custom-source/Dockerfile
# (commit 0d69d0ee, "Update pulumi/pulumi Docker tag to v3.257.0", an ancestor of v2.9.0). CLI >= 3.208.0 reads
# every flag from `PULUMI_OPTION_<FLAG>` (pulumi/docs blog "All Pulumi CLI flags are now supported as environment
# variables"), which is how the workspace runs the policy pack.
PULUMI_WORKSPACE_IMAGE = (
    "pulumi/pulumi:3.257.0-nonroot@sha256:b0377c031c065bbece36a8e3fac1e431b7fdeccf6018c4d5df1d642ae9e1dff8"
)
