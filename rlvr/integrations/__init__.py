"""Training integrations: rlvr's GRPO loss and trainer for TRL, the demo, evaluation callbacks."""
