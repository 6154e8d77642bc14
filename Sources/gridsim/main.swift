import ArgumentParser

Gridsim.mainWithProjectExitCodes()
