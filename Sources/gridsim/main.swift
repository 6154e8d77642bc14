import ArgumentParser

Allocator.prepare()
Gridsim.mainWithProjectExitCodes()
