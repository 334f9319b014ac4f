"""Hand finished models to local HeyGem / Wav2Lip installs: detect installs, the built-in
catalog of model files, verified atomic placement, start and health checks, one-command deploy.
"""
