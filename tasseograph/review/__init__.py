"""`tasseograph review`: a fleet digest from the runner's state, ranked offline or by a model."""
