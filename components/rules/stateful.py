"""Resources that hold data: in prod they are `protect`ed, and the destroy guard (`stackctl diff
--deny-destroy`) blocks their deletion. One list, read by the policy pack and checked against the guard's."""

# type token -> why losing it hurts
DATA_TYPES: dict[str, str] = {
    "aws:sqs/queue:Queue": "its messages (a dead-letter queue holds the ones that failed)",
    "aws:sns/topic:Topic": "its subscriptions and undelivered messages",
    "aws:cloudwatch/logGroup:LogGroup": "control-plane and audit logs",
    "gcp:pubsub/topic:Topic": "its subscriptions and the messages published to it",
    "gcp:pubsub/subscription:Subscription": "its unacknowledged messages",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": "its logs",
}
