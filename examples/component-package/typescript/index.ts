// A TypeScript program using the `platform` component package. `@pulumi/platform` is the SDK that
// `pulumi package add ../../../components/provider` generates into sdks/platform (README.md here).
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as platform from "@pulumi/platform";

const config = new pulumi.Config();

// The cluster, built by the Python EksCluster behind the package (same children, names and URNs).
const cluster = new platform.EksCluster("shared", {
    clusterName: "shared",
    region: "us-east-1",
    subnetIds: config.requireObject<string[]>("privateSubnetIds"),
    privateAccessCidrs: ["10.0.0.0/8"],
    nodePools: {
        general: { machineTypes: ["m7i.large"], minSize: 1, maxSize: 3 },
    },
});

// The queue. Its consumers could be listed here (`consumers: {name: roleName}`); the service below is
// granted consume access through its own reference to the queue instead.
const orders = new platform.WorkQueue("orders", { cloud: "aws", visibilityTimeoutSeconds: 120 });

// The service names its cluster and its queue by their outputs: its identity may consume exactly this queue.
const k8sProvider = new k8s.Provider("shared", { kubeconfig: cluster.kubeconfig });
const worker = new platform.Service("orders", {
    workloadName: "orders",
    namespace: "orders",
    minReplicas: 1,
    spec: {
        image: "registry.example.com/orders@sha256:0000000000000000000000000000000000000000000000000000000000000000",
        command: ["python", "-m", "orders.worker"],
        queue: "orders",
        scaling: { maxReplicas: 5 },
    },
    cluster: {
        cloud: "aws",
        clusterName: "shared",
        oidcProviderArn: cluster.oidcProviderArn,
        oidcIssuer: cluster.oidcIssuer,
    },
    queue: { cloud: "aws", address: orders.consumerAddress, arn: orders.queueArn },
}, { providers: { kubernetes: k8sProvider } });

export const queueUrl = orders.consumerAddress;
export const workerIdentity = worker.cloudIdentity;
