"""SageMaker Experiments: experiments, trials, trial components, their metrics, and Search over them."""
